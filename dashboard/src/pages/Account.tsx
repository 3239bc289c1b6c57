import { type Account, KeywardApiError, type Plan } from '@keyward/client/management';
import { type FormEvent, useState } from 'react';
import { api, isMissingRoute } from '../api';
import { FormModal, TextInput } from '../components/forms';
import {
  accountLimits,
  FormCheckError,
  LimitsDetails,
  LimitsFields,
  limitsPatch,
  limitText,
  readDraft,
  useLimitsDraft,
} from '../components/limits';
import { toast } from '../components/Toast';
import { CopyId, ErrorBanner, Loading, Notice, PageHeader, When } from '../components/ui';
import { useAsync } from '../hooks';
import { useSession } from '../session';

const PLAN_RE = /^[a-z0-9][a-z0-9._-]{0,49}$/;

const MAX_COUNT = 10_000;

/** A plan's limits and quota in words: "default 100 per min; 1,000 credits, refilled to 1,000 monthly". */
export function planText(p: Plan): string {
  const parts = p.ratelimits.map((l) => `${l.name} ${limitText(l)}`);
  if (p.quota) {
    const refill = p.quota.refill
      ? `, refilled to ${p.quota.refill.amount.toLocaleString('en-GB')} ${p.quota.refill.interval === 'daily' ? 'daily' : 'monthly'}`
      : '';
    parts.push(`${p.quota.credits.toLocaleString('en-GB')} credits${refill}`);
  }
  return parts.length === 0 ? 'no limits or quota' : parts.join('; ');
}

/**
 * The plan of an account, picked from the catalogue's plans (GET /v1/plans), or None. A plan the
 * account is on but the catalogue file no longer has stays choosable (keeping it sends nothing).
 * An older server without the route gets the free-text field. Also the New account form's (current null).
 */
export function PlanPicker({
  current,
  value,
  onChange,
  error,
}: {
  current: string | null;
  value: string;
  onChange(v: string): void;
  error: string;
}) {
  const plans = useAsync(() => api.listPlans(), []);
  if (isMissingRoute(plans.error)) {
    return (
      <TextInput
        id="account-plan"
        label="Plan"
        value={value}
        onChange={onChange}
        maxLength={50}
        error={error}
        hint="A plan of the catalogue file (e.g. pro). Its limits apply beside the account's own; its quota is granted when the plan is given. Leave empty for none."
      />
    );
  }
  const list = plans.data?.plans ?? [];
  const retired = current !== null && plans.data !== undefined && !list.some((p) => p.name === current) ? current : null;
  const chosen = list.find((p) => p.name === value);
  const hintId = 'account-plan-hint';
  const errorId = 'account-plan-error';
  return (
    <div className="field">
      <label htmlFor="account-plan">
        Plan<span className="optional"> (optional)</span>
      </label>
      <select
        id="account-plan"
        data-field="plan"
        value={value}
        disabled={plans.loading && !plans.data}
        aria-invalid={error ? true : undefined}
        aria-describedby={[error && errorId, hintId].filter(Boolean).join(' ')}
        onChange={(e) => onChange(e.target.value)}
      >
        <option value="">None</option>
        {list.map((p) => (
          <option key={p.name} value={p.name}>
            {p.name}
            {p.description ? ` (${p.description})` : ''}: {planText(p)}
          </option>
        ))}
        {retired && <option value={retired}>{retired}: no longer in the catalogue file</option>}
      </select>
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
      <ErrorBanner error={plans.error} title="Could not load the plans" />
      <p className="hint" id={hintId} data-testid="plan-hint">
        {chosen
          ? `${chosen.name}: ${planText(chosen)}. Its limits apply beside the account's own; its quota is granted when the plan is given.`
          : retired !== null && value === retired
            ? `${retired} is no longer in the catalogue file: its limits no longer apply. Choose another plan or None.`
            : plans.data && list.length === 0
              ? 'The catalogue file has no plans.'
              : "No plan: only the account's own limits apply."}
      </p>
    </div>
  );
}

/** A whole number from 0 to 10 000 (the API's bound for an account's limits), or the reason it is not. */
function countError(v: string): string {
  const n = Number(v);
  return v.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= MAX_COUNT
    ? ''
    : `A whole number from 0 to ${MAX_COUNT.toLocaleString('en-GB')}.`;
}

/**
 * The account's name, application and key limits, rate limits, quota and plan (the limits shared
 * by all its keys): the operator edits them (PATCH /v1/accounts/{id}); only what changed is sent.
 */
export function EditAccountLimitsModal({ account, onClose, onSaved }: { account: Account; onClose(): void; onSaved(): void }) {
  const limits = useLimitsDraft(accountLimits(account));
  const [plan, setPlan] = useState(account.plan ?? '');
  const [planError, setPlanError] = useState('');
  const [name, setName] = useState(account.name);
  const [maxApps, setMaxApps] = useState(String(account.maxApplications));
  const [maxKeys, setMaxKeys] = useState(String(account.maxKeysPerApplication));
  const [fieldErrors, setFieldErrors] = useState<{ name?: string; maxApps?: string; maxKeys?: string }>({});
  return (
    <FormModal
      title="Edit account limits"
      submitLabel="Save"
      size="wide"
      onClose={onClose}
      submit={async () => {
        const read = readDraft('account', limits.draft);
        const p = plan.trim();
        const badPlan = p !== '' && !PLAN_RE.test(p) ? 'Plan names are lower-case letters, digits, ".", "_" or "-" (at most 50).' : '';
        setPlanError(badPlan);
        const errs = {
          name: name.trim() === '' ? 'Give the account a name.' : '',
          maxApps: countError(maxApps),
          maxKeys: countError(maxKeys),
        };
        setFieldErrors(errs);
        if ('errors' in read || badPlan || errs.name || errs.maxApps || errs.maxKeys) {
          if ('errors' in read) limits.setErrors(read.errors);
          throw new FormCheckError();
        }
        const patch = {
          ...(name.trim() !== account.name && { name: name.trim() }),
          ...(Number(maxApps) !== account.maxApplications && { maxApplications: Number(maxApps) }),
          ...(Number(maxKeys) !== account.maxKeysPerApplication && { maxKeysPerApplication: Number(maxKeys) }),
          ...limitsPatch(accountLimits(account), read.value),
          ...(p !== (account.plan ?? '') && { plan: p === '' ? null : p }),
        };
        if (Object.keys(patch).length === 0) return onSaved();
        try {
          await api.updateAccount(account.id, patch);
        } catch (e) {
          if (e instanceof KeywardApiError && e.code === 'UNKNOWN_PLAN') setPlanError('No plan of this name is in the catalogue file.');
          throw e;
        }
        onSaved();
      }}
    >
      <p className="hint">
        These apply to every key of <strong>{account.name}</strong>, on top of each key's own limits. Changes are audited.
      </p>
      <TextInput id="account-name" label="Name" value={name} onChange={setName} required maxLength={100} error={fieldErrors.name} />
      <div className="field-row">
        <TextInput
          id="account-max-apps"
          label="Applications"
          type="number"
          value={maxApps}
          onChange={setMaxApps}
          required
          error={fieldErrors.maxApps}
          hint="Active applications allowed. Lowering it keeps what exists and refuses new ones."
        />
        <TextInput
          id="account-max-keys"
          label="Keys per application"
          type="number"
          value={maxKeys}
          onChange={setMaxKeys}
          required
          error={fieldErrors.maxKeys}
          hint="Active keys allowed per application (and customer keys per account)."
        />
      </div>
      <PlanPicker
        current={account.plan}
        value={plan}
        onChange={(v) => {
          setPlan(v);
          setPlanError('');
        }}
        error={planError}
      />
      <LimitsFields
        prefix="account"
        draft={limits.draft}
        onChange={limits.onChange}
        errors={limits.errors}
        quotaHint="Shared by all the account's keys. Changing the credits or the refill starts a new count."
      />
    </FormModal>
  );
}

type LeakMode = 'revoke' | 'rotate' | 'notify';
const MAX_OVERLAP_SECONDS = 7 * 86_400;
const LEAK_MODES: { mode: LeakMode; label: string; hint: string }[] = [
  { mode: 'revoke', label: 'Revoke at once', hint: 'The reported key stops working immediately (default).' },
  {
    mode: 'rotate',
    label: 'Expire after an overlap',
    hint: 'The key keeps working for the overlap, for its owner to rotate it; then it expires.',
  },
  { mode: 'notify', label: 'Only notify', hint: 'Nothing changes: a key.leaked event and the audit log record the report.' },
];

const describeLeakPolicy = (p: { mode: LeakMode; overlapSeconds: number }) =>
  p.mode === 'rotate'
    ? `Expire after an overlap of ${p.overlapSeconds} seconds`
    : (LEAK_MODES.find((m) => m.mode === p.mode)?.label ?? p.mode);

/**
 * What happens to a key reported as leaked (POST /v1/leaks, e.g. GitHub secret scanning): the
 * account's admins and the operator choose (GET/PUT /v1/accounts/{id}/leak-policy).
 */
function LeakPolicySection({ accountId }: { accountId: string }) {
  const policy = useAsync(() => api.getLeakPolicy(accountId), [accountId]);
  const [mode, setMode] = useState<LeakMode | null>(null);
  const [overlap, setOverlap] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [overlapError, setOverlapError] = useState('');
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  if (isMissingRoute(policy.error)) return null;
  const current = policy.data;
  const shownMode = mode ?? current?.mode ?? 'revoke';
  const shownOverlap = overlap || String(current?.mode === 'rotate' ? current.overlapSeconds : 3600);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    // The API takes 0 for revoke and notify; rotate needs 1 s to 7 days.
    const seconds = shownMode === 'rotate' ? Number(shownOverlap) : 0;
    if (shownMode === 'rotate' && (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_OVERLAP_SECONDS)) {
      setOverlapError(`A whole number of seconds from 1 to ${MAX_OVERLAP_SECONDS} (7 days).`);
      return;
    }
    setBusy(true);
    try {
      await api.setLeakPolicy(accountId, { mode: shownMode, overlapSeconds: seconds });
      toast('Leak policy saved');
      setSaved(true);
      setMode(null);
      setOverlap('');
      policy.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="leak-policy">
      <h2 className="card-title" id="leak-policy">
        Leaked keys
      </h2>
      <p className="hint">
        What Keyward does with a key of this account reported as leaked (GitHub secret scanning or another scanner). Every report is audited
        and sent as a <code className="mono">key.leaked</code> webhook event.
      </p>
      <ErrorBanner error={policy.error} title="Could not load the leak policy" />
      {policy.loading && !current ? (
        <Loading />
      ) : current ? (
        <form onSubmit={save}>
          <p>
            Current policy: <strong data-testid="leak-policy-current">{describeLeakPolicy(current)}</strong>
          </p>
          <fieldset className="event-picker">
            <legend>When a key is reported leaked</legend>
            {LEAK_MODES.map((m) => (
              <div className="check" key={m.mode}>
                <input
                  id={`leak-mode-${m.mode}`}
                  type="radio"
                  name="leak-mode"
                  checked={shownMode === m.mode}
                  onChange={() => {
                    setMode(m.mode);
                    setSaved(false);
                  }}
                />
                <label htmlFor={`leak-mode-${m.mode}`}>
                  {m.label}
                  <span className="hint">{m.hint}</span>
                </label>
              </div>
            ))}
          </fieldset>
          {shownMode === 'rotate' && (
            <TextInput
              id="leak-overlap"
              label="Overlap (seconds)"
              type="number"
              value={shownOverlap}
              onChange={(v) => {
                setOverlap(v);
                setOverlapError('');
              }}
              error={overlapError}
              hint="How long the reported key keeps working, at most 604800 (7 days). 3600 is one hour."
            />
          )}
          <ErrorBanner error={error} />
          {saved && <Notice tone="success">The leak policy was saved.</Notice>}
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save leak policy'}
          </button>
        </form>
      ) : null}
    </section>
  );
}

export function AccountPage() {
  const s = useSession();
  const account = useAsync(() => api.getAccount(s.account.id), [s.account.id]);
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const operator = s.me.user.isOperator;
  if (account.loading && !account.data) return <Loading />;
  if (!account.data) return <ErrorBanner error={account.error} title="Could not load the account" />;
  const a = account.data;
  return (
    <>
      <PageHeader
        title="Account"
        subtitle={`Administration · ${a.name}`}
        actions={
          operator && (
            <button type="button" className="button button-primary" onClick={() => setEditing(true)}>
              Edit limits
            </button>
          )
        }
      />
      {saved && <Notice tone="success">The account's limits were saved.</Notice>}
      <div className="stack">
        <section className="card" aria-labelledby="account-facts">
          <h2 className="card-title" id="account-facts">
            Details
          </h2>
          <dl className="details">
            <dt>Name</dt>
            <dd>{a.name}</dd>
            <dt>Customer ID</dt>
            <dd>
              <CopyId value={a.customerId} label="customer ID" />
            </dd>
            <dt>Account ID</dt>
            <dd>
              <CopyId value={a.id} label="account ID" />
            </dd>
            <dt>Applications</dt>
            <dd>At most {a.maxApplications}</dd>
            <dt>Keys per application</dt>
            <dd>At most {a.maxKeysPerApplication}</dd>
            <dt>Created</dt>
            <dd>
              <When ms={a.createdAt} />
            </dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="account-limits">
          <h2 className="card-title" id="account-limits">
            Rate limits, quota and plan
          </h2>
          <LimitsDetails value={accountLimits(a)} plan={a.plan} none="This account has no rate limits, quota or plan." />
          <p className="hint">
            {operator
              ? "Shared by all the account's keys, on top of each key's own limits."
              : "Shared by all your account's keys, on top of each key's own limits. Only the operator can change them."}
          </p>
        </section>
        <LeakPolicySection accountId={a.id} />
      </div>
      {editing && (
        <EditAccountLimitsModal
          account={a}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            setSaved(true);
            toast('Account limits saved');
            account.reload();
          }}
        />
      )}
    </>
  );
}
