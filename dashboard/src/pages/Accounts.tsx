import { type Account, KeywardApiError } from '@keyward/client/management';
import { useState } from 'react';
import { api, isMissingRoute } from '../api';
import { FormModal, TextInput } from '../components/forms';
import { accountLimits, FormCheckError, limitsSummary } from '../components/limits';
import { toast } from '../components/Toast';
import { Ago, CopyId, EmptyState, ErrorBanner, Loading, PageHeader, When } from '../components/ui';
import { useAsync } from '../hooks';
import { navigate } from '../router';
import { useSession } from '../session';
import { EditAccountLimitsModal, PlanPicker } from './Account';

const CUSTOMER_ID_RE = /^[A-Za-z0-9-]{3,40}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const MIN_PASSWORD = 10;

interface NewAccountErrors {
  name?: string;
  customerId?: string;
  adminName?: string;
  adminEmail?: string;
  adminPassword?: string;
}

/** What the browser can check before POST /v1/accounts (the server checks again). */
export function checkNewAccount(v: { name: string; customerId: string; adminName: string; adminEmail: string; adminPassword: string }) {
  const e: NewAccountErrors = {};
  if (!v.name.trim()) e.name = 'Give the account a name.';
  if (v.customerId.trim() && !CUSTOMER_ID_RE.test(v.customerId.trim()))
    e.customerId = 'Letters, digits and dashes, 3 to 40 characters; or leave it empty to get one generated.';
  if (!v.adminName.trim()) e.adminName = "Give the admin's name.";
  if (!EMAIL_RE.test(v.adminEmail.trim())) e.adminEmail = 'Enter an email address, like ada@example.com.';
  if (v.adminPassword.length < MIN_PASSWORD) e.adminPassword = `Too short: the password needs at least ${MIN_PASSWORD} characters.`;
  return e;
}

/**
 * A new customer account with its first admin (POST /v1/accounts, the operator only). Also the
 * operator's first screen while no account exists, so it needs no signed-in account.
 */
export function NewAccountModal({ onClose, onCreated }: { onClose(): void; onCreated(a: Account): void }) {
  const [v, setV] = useState({ name: '', customerId: '', adminName: '', adminEmail: '', adminPassword: '' });
  const [errors, setErrors] = useState<NewAccountErrors>({});
  const [plan, setPlan] = useState('');
  const [planError, setPlanError] = useState('');
  /** One field's value, change handler and problem: every input of the form is bound the same way. */
  const bind = (k: keyof typeof v) => ({
    value: v[k],
    onChange: (value: string) => {
      setV({ ...v, [k]: value });
      setErrors({ ...errors, [k]: undefined });
    },
    error: errors[k],
  });
  return (
    <FormModal
      title="New account"
      submitLabel="Create account"
      onClose={onClose}
      submit={async () => {
        const found = checkNewAccount(v);
        setErrors(found);
        if (Object.keys(found).length > 0) throw new FormCheckError();
        try {
          const r = await api.createAccount({
            name: v.name.trim(),
            ...(v.customerId.trim() && { customerId: v.customerId.trim() }),
            ...(plan.trim() && { plan: plan.trim() }),
            admin: { name: v.adminName.trim(), email: v.adminEmail.trim(), password: v.adminPassword },
          });
          onCreated(r.account);
        } catch (e) {
          if (e instanceof KeywardApiError && e.code === 'EMAIL_TAKEN') setErrors({ adminEmail: 'A user with this email already exists.' });
          if (e instanceof KeywardApiError && e.code === 'UNKNOWN_PLAN') setPlanError('No plan of this name is in the catalogue file.');
          if (e instanceof KeywardApiError && e.code === 'CUSTOMER_ID_TAKEN')
            setErrors({ customerId: 'Another account has this customer ID.' });
          throw e;
        }
      }}
    >
      <TextInput id="new-account-name" label="Account name" {...bind('name')} required autoFocus maxLength={100} />
      <TextInput
        id="new-account-customer-id"
        label="Customer ID"
        {...bind('customerId')}
        maxLength={40}
        hint="Letters, digits and dashes. Leave empty to get one generated."
      />
      <PlanPicker
        current={null}
        value={plan}
        onChange={(p) => {
          setPlan(p);
          setPlanError('');
        }}
        error={planError}
      />
      <fieldset className="fieldset">
        <legend>First admin</legend>
        <p className="hint">The account's first user: an admin who can add the others. Give them the password through a safe channel.</p>
        <TextInput id="new-account-admin-name" label="Admin name" {...bind('adminName')} required maxLength={100} />
        <TextInput id="new-account-admin-email" label="Admin email" type="email" {...bind('adminEmail')} required maxLength={254} />
        <TextInput
          id="new-account-admin-password"
          label="Initial password"
          type="password"
          autoComplete="new-password"
          {...bind('adminPassword')}
          required
          maxLength={200}
          // Checked by this form, with its reason next to the field (a native minLength would block the submit silently).
          minLength={0}
          hint={`At least ${MIN_PASSWORD} characters.`}
        />
      </fieldset>
    </FormModal>
  );
}

type Usage = Awaited<ReturnType<typeof api.listAccountUsage>>['accounts'][number];

/** The later of the last key use and the last signed device request. */
const lastUse = (u: Usage) => Math.max(u.lastUsedAt ?? 0, u.deviceLastUsedAt ?? 0) || null;

/** Key uses over 7 days; and, apart, the devices' signed requests once the account has devices or device use. */
function AccountUses({ u }: { u: Usage | undefined }) {
  if (!u) return <span data-testid="uses">—</span>;
  const devices = u.devices > 0 || u.deviceUses > 0 || u.deviceRejected > 0;
  const count = (n: number, rejected: number) => (
    <>
      {n.toLocaleString('en-GB')}
      {rejected > 0 && <span className="muted"> ({rejected.toLocaleString('en-GB')} rejected)</span>}
    </>
  );
  return (
    <>
      <div>
        {devices && <span className="muted">Keys: </span>}
        <span data-testid="uses">{count(u.uses, u.rejected)}</span>
      </div>
      {devices && (
        <div>
          <span className="muted">Devices: </span>
          <span data-testid="device-uses">{count(u.deviceUses, u.deviceRejected)}</span>
        </div>
      )}
    </>
  );
}

/** The operator's page: every customer account with its size, limits and last 7 days' use; create one, edit its limits and plan. */
export function AccountsPage() {
  const s = useSession();
  const list = useAsync(async () => {
    const [{ accounts }, usage] = await Promise.all([
      api.listAccounts(),
      // An older server without the overview still lists the accounts.
      api.listAccountUsage().catch((e: unknown) => {
        if (isMissingRoute(e)) return null;
        throw e;
      }),
    ]);
    return { accounts, usage: new Map<string, Usage>((usage?.accounts ?? []).map((u) => [u.accountId, u])) };
  }, []);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Account | null>(null);
  const accounts = list.data?.accounts ?? [];
  const usage = list.data?.usage;
  const open = (a: Account) => {
    s.switchAccount(a.id);
    navigate('/');
  };
  return (
    <>
      <PageHeader
        title="Accounts"
        subtitle="Every customer account: its size against its limits and its keys' use over the last 7 days."
        actions={
          <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
            New account
          </button>
        }
      />
      <ErrorBanner error={list.error} title="Could not load the accounts" />
      {list.loading && !list.data ? (
        <Loading />
      ) : list.error ? null : accounts.length === 0 ? (
        <EmptyState title="No customer accounts yet">Create one with its first admin, who can then add the account's users.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table accounts-table">
            <caption className="sr-only">Customer accounts</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Customer ID</th>
                <th scope="col">Applications</th>
                <th scope="col">Keys</th>
                <th scope="col">Users</th>
                <th scope="col">Devices</th>
                <th scope="col">Uses (7 days)</th>
                <th scope="col">Last used</th>
                <th scope="col">Plan and limits</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => {
                const u = usage?.get(a.id);
                const limits = limitsSummary(accountLimits(a));
                return (
                  <tr key={a.id} data-testid={`account-${a.customerId}`}>
                    <td className="nowrap">
                      <strong>{a.name}</strong>
                      {a.id === s.account.id && <span className="muted"> (current)</span>}
                    </td>
                    <td>
                      <CopyId value={a.customerId} label="customer ID" />
                    </td>
                    <td className="nowrap" data-testid="applications">
                      {u ? `${u.activeApplications} of ${a.maxApplications}` : `at most ${a.maxApplications}`}
                    </td>
                    <td className="nowrap" title={`At most ${a.maxKeysPerApplication} per application`} data-testid="keys">
                      {u ? u.activeKeys : '—'}
                    </td>
                    <td data-testid="users">{u ? u.users : '—'}</td>
                    <td data-testid="devices">{u ? u.devices : '—'}</td>
                    <td className="nowrap">
                      <AccountUses u={u} />
                    </td>
                    <td className="nowrap" data-testid="last-used">
                      {u ? <Ago ms={lastUse(u)} /> : '—'}
                    </td>
                    <td>
                      {a.plan && <span className="badge badge-plan">{a.plan}</span>}{' '}
                      <span className="clamp">{limits ?? (a.plan ? '' : 'None')}</span>
                    </td>
                    <td className="nowrap">
                      <When ms={a.createdAt} />
                    </td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="button button-small"
                        onClick={() => setEditing(a)}
                        aria-label={`Edit limits of ${a.name}`}
                      >
                        Edit limits
                      </button>
                      <button type="button" className="button button-small" onClick={() => open(a)} aria-label={`Open ${a.name}`}>
                        Open
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <NewAccountModal
          onClose={() => setCreating(false)}
          onCreated={(a) => {
            setCreating(false);
            toast(`Account ${a.name} created`);
            list.reload();
            s.refreshAccounts();
          }}
        />
      )}
      {editing && (
        <EditAccountLimitsModal
          account={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            toast('Account limits saved');
            list.reload();
            s.refreshAccounts();
          }}
        />
      )}
    </>
  );
}
