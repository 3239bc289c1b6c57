import type { AccessKey, Application } from '@keyward/client/management';
import { useState } from 'react';
import { api } from '../api';
import { type Column, ListControls } from '../components/DataTable';
import { EditKeyModal, expiryText, NewAccessKeyModal, RevokeKeyModal, ScopeList } from '../components/keys';
import { LimitButton, PagedTable, pageQuery, ShowRevoked } from '../components/ListPage';
import { toast } from '../components/Toast';
import { CopyId, EmptyState, ErrorBanner, LeakedBadge, Loading, Notice, PageHeader, StatusBadge } from '../components/ui';
import { formatTime, relative } from '../format';
import { useAsync, usePagedList, useUrlQuery } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';
import { KEY_SORTS, KEY_STATUS_FILTER, LimitsLine } from './ApiKeys';
import { EditApplicationModal, RevokeApplicationModal } from './Applications';

type Tab = 'summary' | 'keys';

export function ApplicationPage({ id, tab }: { id: string; tab: Tab }) {
  const s = useSession();
  const app = useAsync(() => api.getApplication(s.account.id, id), [s.account.id, id]);
  const [dialog, setDialog] = useState<'edit' | 'revoke' | null>(null);
  if (app.loading && !app.data) return <Loading />;
  if (!app.data) {
    return (
      <>
        <p className="breadcrumb">
          <Link to="/applications">Applications</Link>
        </p>
        <ErrorBanner error={app.error} title="Could not load the application" />
      </>
    );
  }
  const a = app.data;
  const active = a.status === 'active';
  return (
    <>
      <p className="breadcrumb">
        <Link to="/applications">Applications</Link> <span aria-hidden="true">/</span> {a.name}
      </p>
      <PageHeader
        title={a.name}
        subtitle={<StatusBadge status={a.status} />}
        actions={
          a.status !== 'revoked' && (
            <>
              {active && s.can('applications.edit') && (
                <button type="button" className="button" onClick={() => setDialog('edit')}>
                  Edit
                </button>
              )}
              {s.can('applications.revoke') && (
                <button type="button" className="button button-danger-outline" onClick={() => setDialog('revoke')}>
                  Revoke
                </button>
              )}
            </>
          )
        }
      />
      {a.status === 'disabled' && (
        <Notice tone="warning">
          The user who created this application was deleted, so its access keys no longer work and it takes no new keys. Revoke it to hide
          it from the list.
        </Notice>
      )}
      <nav className="tabs" aria-label="Application sections">
        <Link to={`/applications/${a.id}`} aria-current={tab === 'summary' ? 'page' : undefined}>
          Summary
        </Link>
        <Link to={`/applications/${a.id}/keys`} aria-current={tab === 'keys' ? 'page' : undefined}>
          Access keys
        </Link>
      </nav>
      {tab === 'summary' ? <Summary app={a} /> : <AccessKeys app={a} />}
      {dialog === 'edit' && (
        <EditApplicationModal
          app={a}
          onClose={() => setDialog(null)}
          onSaved={(saved) => {
            setDialog(null);
            toast(`Application ${saved.name} saved`);
            app.reload();
          }}
        />
      )}
      {dialog === 'revoke' && (
        <RevokeApplicationModal
          app={a}
          onClose={() => setDialog(null)}
          onRevoked={() => {
            setDialog(null);
            toast(`Application ${a.name} revoked`);
            app.reload();
          }}
        />
      )}
    </>
  );
}

function Summary({ app }: { app: Application }) {
  return (
    <section className="card" aria-label="Summary">
      <dl className="details">
        <dt>Application ID</dt>
        <dd>
          <CopyId value={app.id} label="application ID" />
        </dd>
        <dt>Description</dt>
        <dd>{app.description || <span className="muted">No description</span>}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={app.status} />
        </dd>
        <dt>Created by</dt>
        <dd>
          <CopyId value={app.createdBy} label="creator's user ID" />
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(app.createdAt)}</dd>
        <dt>Last updated</dt>
        <dd>{formatTime(app.updatedAt)}</dd>
        {app.revokedAt && (
          <>
            <dt>Revoked</dt>
            <dd>{formatTime(app.revokedAt)}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

type KeyDialog = { type: 'new' } | { type: 'edit'; k: AccessKey } | { type: 'revoke'; k: AccessKey } | null;

const APP_KEY_QUERY = { q: '', sort: 'created', order: 'asc', status: '', revoked: '' };

function AccessKeys({ app }: { app: Application }) {
  const s = useSession();
  const [query, setQuery] = useUrlQuery(APP_KEY_QUERY);
  const showRevoked = query.revoked === '1';
  const [dialog, setDialog] = useState<KeyDialog>(null);
  const list = usePagedList(
    async (cursor) => {
      const r = await api.listApplicationKeys(s.account.id, app.id, { includeRevoked: showRevoked, ...pageQuery(query, cursor) });
      return { items: r.keys, nextCursor: r.nextCursor };
    },
    [s.account.id, app.id, showRevoked, query.q, query.sort, query.order, query.status],
  );
  // Live keys count towards the limit, whatever the page shows (at most the limit's worth).
  const live = useAsync(() => api.listApplicationKeys(s.account.id, app.id, { status: 'active' }), [s.account.id, app.id, list.items]);
  const activeCount = live.data?.keys.length;
  const mine = app.createdBy === s.me.user.id;
  const may = (action: string) => s.can(`keys.${action}.any`) || (mine && s.can(`keys.${action}.mine`));
  const filtered = query.q !== '' || query.status !== '';
  const close = () => setDialog(null);
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
          {k.description && <div className="muted small">{k.description}</div>}
          <LimitsLine k={k} />
        </>
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
    { label: 'Expires', className: 'nowrap', cell: (k) => expiryText(k) },
    {
      label: 'Last used',
      className: 'nowrap',
      cell: (k) => <span title={k.lastUsedAt ? formatTime(k.lastUsedAt) : undefined}>{relative(k.lastUsedAt)}</span>,
    },
  ];
  const actions = (k: AccessKey) => (
    <>
      {k.status !== 'revoked' && may('edit') && (
        <button type="button" className="button button-small" aria-label={`Edit ${k.name}`} onClick={() => setDialog({ type: 'edit', k })}>
          Edit
        </button>
      )}
      {k.status !== 'revoked' && may('revoke') && (
        <button
          type="button"
          className="button button-small button-danger-outline"
          aria-label={`Revoke ${k.name}`}
          onClick={() => setDialog({ type: 'revoke', k })}
        >
          Revoke
        </button>
      )}
    </>
  );
  return (
    <section aria-label="Access keys">
      <div className="toolbar">
        <p className="muted">
          {activeCount ?? '…'} of {s.account.maxKeysPerApplication} active access keys used.
        </p>
        <div className="toolbar-right">
          {app.status === 'active' && may('create') && (
            <LimitButton
              used={activeCount}
              max={s.account.maxKeysPerApplication}
              what="active access keys"
              onClick={() => setDialog({ type: 'new' })}
            />
          )}
        </div>
      </div>
      <ListControls
        values={query}
        onChange={setQuery}
        searchLabel="Search access keys by name, ID or start"
        sorts={KEY_SORTS}
        filters={[KEY_STATUS_FILTER]}
      >
        <ShowRevoked label="Show revoked keys" values={query} onChange={setQuery} />
      </ListControls>
      <PagedTable
        list={list}
        caption="Access keys"
        columns={columns}
        rowKey={(k) => k.id}
        actions={actions}
        errorTitle="Could not load access keys"
        notice={
          app.status === 'revoked' && (
            <Notice tone="info">This application is revoked: its access keys no longer work and no new ones can be created.</Notice>
          )
        }
        filtered={filtered}
        noun="access keys"
        more="keys"
        empty={
          app.status === 'revoked' ? (
            <EmptyState title="This application is revoked">Its access keys no longer work and no new ones can be created.</EmptyState>
          ) : (
            <EmptyState title="No access keys yet">
              Create an access key and include it as a bearer credential in your API calls.
            </EmptyState>
          )
        }
      />
      {dialog?.type === 'new' && (
        <NewAccessKeyModal
          kind="application"
          title="New access key"
          onClose={() => done()}
          create={async (body) => {
            const r = await api.createKey(s.account.id, app.id, body);
            toast(`Access key ${r.accessKey.name} created`);
            return r;
          }}
        />
      )}
      {dialog?.type === 'edit' && <EditKeyModal k={dialog.k} onClose={close} onSaved={() => done(`Access key ${dialog.k.name} saved`)} />}
      {dialog?.type === 'revoke' && (
        <RevokeKeyModal k={dialog.k} onClose={close} onRevoked={() => done(`Access key ${dialog.k.name} revoked`)} />
      )}
    </section>
  );
}
