import { type Account, KeywardApiError } from '@keyward/client/management';
import { useState } from 'react';
import { api } from '../api';
import { FormModal, TextInput } from '../components/forms';
import { accountLimits, FormCheckError, LimitsDetails, LimitsFields, limitsPatch, readDraft, useLimitsDraft } from '../components/limits';
import { ErrorBanner, Loading, Notice, PageHeader } from '../components/ui';
import { formatTime } from '../format';
import { useAsync } from '../hooks';
import { useSession } from '../session';

const PLAN_RE = /^[a-z0-9][a-z0-9._-]{0,49}$/;

/** The account's rate limits, quota and plan, shared by all its keys: the operator edits them (PATCH /v1/accounts/{id}). */
function EditAccountLimitsModal({ account, onClose, onSaved }: { account: Account; onClose(): void; onSaved(): void }) {
  const limits = useLimitsDraft(accountLimits(account));
  const [plan, setPlan] = useState(account.plan ?? '');
  const [planError, setPlanError] = useState('');
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
        if ('errors' in read || badPlan) {
          if ('errors' in read) limits.setErrors(read.errors);
          throw new FormCheckError();
        }
        const patch = {
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
      <TextInput
        id="account-plan"
        label="Plan"
        value={plan}
        onChange={(v) => {
          setPlan(v);
          setPlanError('');
        }}
        maxLength={50}
        error={planError}
        hint="A plan of the catalogue file (e.g. pro). Its limits apply beside the account's own; its quota is granted when the plan is given. Leave empty for none."
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
              <code className="mono id">{a.customerId}</code>
            </dd>
            <dt>Account ID</dt>
            <dd>
              <code className="mono id">{a.id}</code>
            </dd>
            <dt>Applications</dt>
            <dd>At most {a.maxApplications}</dd>
            <dt>Keys per application</dt>
            <dd>At most {a.maxKeysPerApplication}</dd>
            <dt>Created</dt>
            <dd>{formatTime(a.createdAt)}</dd>
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
      </div>
      {editing && (
        <EditAccountLimitsModal
          account={a}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            setSaved(true);
            account.reload();
          }}
        />
      )}
    </>
  );
}
