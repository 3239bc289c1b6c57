import { type AccessKey, KeywardApiError } from '@keyward/client/management';
import { useState } from 'react';
import { api } from '../api';
import { type Column, ListControls } from '../components/DataTable';
import { Checkbox, FormModal } from '../components/forms';
import { NewAccessKeyModal, ScopeList } from '../components/keys';
import { LimitButton, PagedTable, pageQuery, ShowRevoked } from '../components/ListPage';
import { keyLimits, limitsSummary } from '../components/limits';
import { toast } from '../components/Toast';
import { EmptyState, LeakedBadge, Notice, PageHeader, StatusBadge } from '../components/ui';
import { formatTime, relative, usedRecently } from '../format';
import { useAsync, usePagedList, useUrlQuery } from '../hooks';
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

const KEY_QUERY = { q: '', sort: 'created', order: 'asc', kind: 'all', status: '', revoked: '' };

export const KEY_SORTS = [
  { value: 'created', label: 'Created' },
  { value: 'name', label: 'Name' },
  { value: 'lastUsed', label: 'Last used' },
] as const;

export const KEY_STATUS_FILTER = {
  name: 'status',
  label: 'Status',
  choices: [
    { value: '', label: 'Any status' },
    { value: 'active', label: 'Active' },
    { value: 'expired', label: 'Expired' },
    { value: 'revoked', label: 'Revoked' },
  ],
};

export function ApiKeysPage() {
  const s = useSession();
  const [query, setQuery] = useUrlQuery(KEY_QUERY);
  const kind = (['all', 'application', 'customer'].includes(query.kind) ? query.kind : 'all') as Kind;
  const showRevoked = query.revoked === '1';
  const [dialog, setDialog] = useState<{ type: 'new' } | { type: 'delete'; k: AccessKey } | null>(null);
  const list = usePagedList(
    async (cursor) => {
      const r = await api.listKeys(s.account.id, {
        includeRevoked: showRevoked,
        ...(kind !== 'all' && { kind }),
        ...pageQuery(query, cursor),
      });
      return { items: r.keys, nextCursor: r.nextCursor };
    },
    [s.account.id, kind, showRevoked, query.q, query.sort, query.order, query.status],
  );
  // Live customer keys count towards the account's limit (maxKeysPerApplication), whatever the page shows.
  const liveCustomer = useAsync(
    () => (s.isAdmin ? api.listKeys(s.account.id, { kind: 'customer', status: 'active' }) : Promise.resolve(null)),
    [s.account.id, s.isAdmin, list.items],
  );
  const customerCount = liveCustomer.data?.keys.length;
  const filtered = query.q !== '' || query.status !== '';
  // The server decides; this only hides a button that would certainly be refused.
  const mayDelete = (k: AccessKey) =>
    s.isAdmin || s.can('keys.revoke.any') || (k.kind === 'application' && s.can('keys.revoke.mine') && k.createdBy === s.me.user.id);
  const done = (message?: string) => {
    setDialog(null);
    if (message) toast(message);
    list.reload();
  };
  const columns: Column<AccessKey>[] = [
    {
      label: 'Name',
      cell: (k) => (
        <>
          <Link to={`/api-keys/${k.id}`}>
            <strong>{k.name}</strong>
          </Link>
          <LimitsLine k={k} />
        </>
      ),
    },
    { label: 'Type', cell: (k) => (k.kind === 'application' ? 'Application' : 'Customer') },
    {
      label: 'Application',
      cell: (k) =>
        k.applicationId ? (
          <Link to={`/applications/${k.applicationId}/keys`}>
            <code className="mono id">{k.applicationId}</code>
          </Link>
        ) : (
          <span className="muted">—</span>
        ),
    },
    { label: 'Key', cell: (k) => <code className="mono id">{k.start}…</code> },
    { label: 'Scopes', cell: (k) => <ScopeList k={k} /> },
    {
      label: 'Status',
      cell: (k) => (
        <>
          <StatusBadge status={k.status} /> <LeakedBadge leakedAt={k.leakedAt} />
        </>
      ),
    },
    {
      label: 'Last used',
      className: 'nowrap',
      cell: (k) => <span title={k.lastUsedAt ? formatTime(k.lastUsedAt) : undefined}>{relative(k.lastUsedAt)}</span>,
    },
  ];
  const actions = (k: AccessKey) =>
    mayDelete(k) && (
      <button
        type="button"
        className="button button-small button-danger-outline"
        aria-label={`Delete ${k.name}`}
        onClick={() => setDialog({ type: 'delete', k })}
      >
        Delete
      </button>
    );
  return (
    <>
      <PageHeader
        title="API Keys"
        subtitle="Administration · Application keys give access to device APIs; customer keys give access to billing and contract data."
        actions={
          s.isAdmin && (
            <LimitButton
              used={customerCount}
              max={s.account.maxKeysPerApplication}
              what="active customer keys"
              advice="delete one to create another."
              onClick={() => setDialog({ type: 'new' })}
            >
              New customer key
            </LimitButton>
          )
        }
      />
      <div className="toolbar">
        <fieldset className="segmented">
          <legend className="sr-only">Key type</legend>
          {(['all', 'application', 'customer'] as const).map((k) => (
            <button key={k} type="button" aria-pressed={kind === k} onClick={() => setQuery({ kind: k })}>
              {k === 'all' ? 'All keys' : k === 'application' ? 'Application keys' : 'Customer keys'}
            </button>
          ))}
        </fieldset>
      </div>
      <ListControls
        values={query}
        onChange={setQuery}
        searchLabel="Search keys by name, ID or start"
        sorts={KEY_SORTS}
        filters={[KEY_STATUS_FILTER]}
      >
        <ShowRevoked label="Show revoked keys" values={query} onChange={setQuery} />
      </ListControls>
      <PagedTable
        list={list}
        caption="API keys"
        columns={columns}
        rowKey={(k) => k.id}
        actions={actions}
        errorTitle="Could not load API keys"
        filtered={filtered}
        noun="API keys"
        more="keys"
        empty={
          <EmptyState title="No API keys">
            Application keys are created from an application's Access keys tab; customer keys with <em>New customer key</em>.
          </EmptyState>
        }
      />
      {dialog?.type === 'new' && (
        <NewAccessKeyModal
          kind="customer"
          title="New customer key"
          onClose={() => done()}
          create={async (body) => {
            const r = await api.createCustomerKey(s.account.id, body);
            toast(`Customer key ${r.accessKey.name} created`);
            return r;
          }}
        />
      )}
      {dialog?.type === 'delete' && (
        <DeleteKeyModal k={dialog.k} onClose={() => setDialog(null)} onDeleted={() => done(`API key ${dialog.k.name} deleted`)} />
      )}
    </>
  );
}

/** Under a key's name in tables: its limits and the credits left, when it has any. */
export function LimitsLine({ k }: { k: AccessKey }) {
  const text = limitsSummary(keyLimits(k));
  return text === null ? null : <div className="muted small limits-line">{text}</div>;
}
