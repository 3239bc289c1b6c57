import { type AccessKey, KeywardApiError } from '@keyward/client/management';
import { useState } from 'react';
import { api } from '../api';
import { Checkbox, FormModal } from '../components/forms';
import { NewAccessKeyModal, ScopeList } from '../components/keys';
import { keyLimits, limitsSummary } from '../components/limits';
import { EmptyState, ErrorBanner, LeakedBadge, Loading, Notice, PageHeader, StatusBadge } from '../components/ui';
import { formatTime, relative, usedRecently } from '../format';
import { useAsync } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';

type Kind = 'all' | 'application' | 'customer';

/** Senet: deleting needs the application ID (application key) or customer ID (customer key) typed back. */
function DeleteKeyModal({ k, onClose, onDeleted }: { k: AccessKey; onClose(): void; onDeleted(): void }) {
  const { account } = useSession();
  const expected = k.kind === 'application' ? (k.applicationId ?? '') : account.customerId;
  const what = k.kind === 'application' ? 'Application ID' : 'Customer ID';
  const [typed, setTyped] = useState('');
  const [needsRecent, setNeedsRecent] = useState(usedRecently(k.lastUsedAt));
  const [recentOk, setRecentOk] = useState(false);
  return (
    <FormModal
      title="Delete API key"
      submitLabel="Delete"
      danger
      onClose={onClose}
      disabled={typed.trim() !== expected || (needsRecent && !recentOk)}
      submit={async () => {
        try {
          await api.deleteKey(account.id, k.id, { confirm: typed.trim(), ...(needsRecent && { confirmRecentUse: recentOk }) });
          onDeleted();
        } catch (e) {
          // The key was used since the table loaded: ask for the extra confirmation instead of failing.
          if (e instanceof KeywardApiError && e.code === 'RECENT_USE_CONFIRMATION_REQUIRED') setNeedsRecent(true);
          throw e;
        }
      }}
    >
      <p>
        Delete the {k.kind} API key <strong>{k.name}</strong> (<code>{k.start}…</code>)? API calls using it will be rejected. This cannot be
        undone.
      </p>
      <div className="field">
        <label htmlFor="delete-confirm">
          Enter the key's {what} <code className="mono">{expected}</code> to confirm deletion
        </label>
        <input
          id="delete-confirm"
          className="mono"
          autoComplete="off"
          data-autofocus
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
      </div>
      {needsRecent && (
        <Notice tone="warning">
          <strong>This key was used within the past 3 days</strong> (last used {formatTime(k.lastUsedAt)}).
          <Checkbox
            id="delete-recent"
            label="I understand that this key is in use and that callers using it will stop working"
            checked={recentOk}
            onChange={setRecentOk}
          />
        </Notice>
      )}
    </FormModal>
  );
}

export function ApiKeysPage() {
  const s = useSession();
  const [kind, setKind] = useState<Kind>('all');
  const [showRevoked, setShowRevoked] = useState(false);
  const [dialog, setDialog] = useState<{ type: 'new' } | { type: 'delete'; k: AccessKey } | null>(null);
  const list = useAsync(
    () => api.listKeys(s.account.id, { ...(kind !== 'all' && { kind }), includeRevoked: showRevoked }),
    [s.account.id, kind, showRevoked],
  );
  const keys = list.data?.keys ?? [];
  // The server decides; this only hides a button that would certainly be refused.
  const mayDelete = (k: AccessKey) =>
    s.isAdmin || s.can('keys.revoke.any') || (k.kind === 'application' && s.can('keys.revoke.mine') && k.createdBy === s.me.user.id);
  const done = () => {
    setDialog(null);
    list.reload();
  };
  return (
    <>
      <PageHeader
        title="API Keys"
        subtitle="Administration · Application keys give access to device APIs; customer keys give access to billing and contract data."
        actions={
          s.isAdmin && (
            <button type="button" className="button button-primary" onClick={() => setDialog({ type: 'new' })}>
              New customer key
            </button>
          )
        }
      />
      <div className="toolbar">
        <fieldset className="segmented">
          <legend className="sr-only">Key type</legend>
          {(['all', 'application', 'customer'] as const).map((k) => (
            <button key={k} type="button" aria-pressed={kind === k} onClick={() => setKind(k)}>
              {k === 'all' ? 'All keys' : k === 'application' ? 'Application keys' : 'Customer keys'}
            </button>
          ))}
        </fieldset>
        <label className="toggle">
          <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} />
          Show revoked keys
        </label>
      </div>
      <ErrorBanner error={list.error} title="Could not load API keys" />
      {list.loading && !list.data ? (
        <Loading />
      ) : keys.length === 0 && !list.error ? (
        <EmptyState title="No API keys">
          Application keys are created from an application's Access keys tab; customer keys with <em>New customer key</em>.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Application</th>
                <th scope="col">Key</th>
                <th scope="col">Scopes</th>
                <th scope="col">Status</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>
                    <Link to={`/api-keys/${k.id}`}>
                      <strong>{k.name}</strong>
                    </Link>
                    <LimitsLine k={k} />
                  </td>
                  <td>{k.kind === 'application' ? 'Application' : 'Customer'}</td>
                  <td>
                    {k.applicationId ? (
                      <Link to={`/applications/${k.applicationId}/keys`}>
                        <code className="mono id">{k.applicationId}</code>
                      </Link>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>
                    <code className="mono id">{k.start}…</code>
                  </td>
                  <td>
                    <ScopeList k={k} />
                  </td>
                  <td>
                    <StatusBadge status={k.status} /> <LeakedBadge leakedAt={k.leakedAt} />
                  </td>
                  <td className="nowrap">{relative(k.lastUsedAt)}</td>
                  <td className="row-actions">
                    {mayDelete(k) && (
                      <button
                        type="button"
                        className="button button-small button-danger-outline"
                        aria-label={`Delete ${k.name}`}
                        onClick={() => setDialog({ type: 'delete', k })}
                      >
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {dialog?.type === 'new' && (
        <NewAccessKeyModal
          kind="customer"
          title="New customer key"
          onClose={done}
          create={(body) => api.createCustomerKey(s.account.id, body)}
        />
      )}
      {dialog?.type === 'delete' && <DeleteKeyModal k={dialog.k} onClose={() => setDialog(null)} onDeleted={done} />}
    </>
  );
}

/** Under a key's name in tables: its limits and the credits left, when it has any. */
export function LimitsLine({ k }: { k: AccessKey }) {
  const text = limitsSummary(keyLimits(k));
  return text === null ? null : <div className="muted small limits-line">{text}</div>;
}
