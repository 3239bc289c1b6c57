import type { AccessKey, Application } from '@keyward/client/management';
import { useState } from 'react';
import { api } from '../api';
import { EditKeyModal, expiryText, NewAccessKeyModal, RevokeKeyModal, ScopeList } from '../components/keys';
import { EmptyState, ErrorBanner, LeakedBadge, LimitedButton, Loading, Notice, PageHeader, StatusBadge } from '../components/ui';
import { formatTime, relative } from '../format';
import { useAsync } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';
import { LimitsLine } from './ApiKeys';
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
          onSaved={() => {
            setDialog(null);
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
          <code className="mono id">{app.id}</code>
        </dd>
        <dt>Description</dt>
        <dd>{app.description || <span className="muted">No description</span>}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={app.status} />
        </dd>
        <dt>Created by</dt>
        <dd>
          <code className="mono id">{app.createdBy}</code>
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

function AccessKeys({ app }: { app: Application }) {
  const s = useSession();
  const [showRevoked, setShowRevoked] = useState(false);
  const [dialog, setDialog] = useState<KeyDialog>(null);
  const list = useAsync(
    () => api.listApplicationKeys(s.account.id, app.id, { includeRevoked: showRevoked }),
    [s.account.id, app.id, showRevoked],
  );
  const mine = app.createdBy === s.me.user.id;
  const may = (action: string) => s.can(`keys.${action}.any`) || (mine && s.can(`keys.${action}.mine`));
  const keys = list.data?.keys ?? [];
  const activeCount = keys.filter((k) => k.status === 'active').length;
  const close = () => setDialog(null);
  const done = () => {
    setDialog(null);
    list.reload();
  };
  return (
    <section aria-label="Access keys">
      <div className="toolbar">
        <p className="muted">
          {activeCount} of {s.account.maxKeysPerApplication} active access keys used.
        </p>
        <div className="toolbar-right">
          <label className="toggle">
            <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} />
            Show revoked keys
          </label>
          {app.status === 'active' && may('create') && (
            <LimitedButton
              used={activeCount}
              max={s.account.maxKeysPerApplication}
              reason={`${activeCount} of ${s.account.maxKeysPerApplication} active access keys: revoke one to create another.`}
              onClick={() => setDialog({ type: 'new' })}
            />
          )}
        </div>
      </div>
      <ErrorBanner error={list.error} title="Could not load access keys" />
      {app.status === 'revoked' && keys.length > 0 && (
        <Notice tone="info">This application is revoked: its access keys no longer work and no new ones can be created.</Notice>
      )}
      {list.loading && !list.data ? (
        <Loading />
      ) : keys.length === 0 && !list.error ? (
        app.status === 'revoked' ? (
          <EmptyState title="This application is revoked">
            Its access keys no longer work and no new ones can be created.{showRevoked ? '' : ' Show revoked keys to see the keys it had.'}
          </EmptyState>
        ) : (
          <EmptyState title="No access keys yet">Create an access key and include it as a bearer credential in your API calls.</EmptyState>
        )
      ) : (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Access keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scopes</th>
                <th scope="col">Status</th>
                <th scope="col">Expires</th>
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
                    {k.description && <div className="muted small">{k.description}</div>}
                    <LimitsLine k={k} />
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
                  <td className="nowrap">{expiryText(k)}</td>
                  <td className="nowrap">{relative(k.lastUsedAt)}</td>
                  <td className="row-actions">
                    {k.status !== 'revoked' && may('edit') && (
                      <button
                        type="button"
                        className="button button-small"
                        aria-label={`Edit ${k.name}`}
                        onClick={() => setDialog({ type: 'edit', k })}
                      >
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
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {dialog?.type === 'new' && (
        <NewAccessKeyModal
          kind="application"
          title="New access key"
          onClose={done}
          create={(body) => api.createKey(s.account.id, app.id, body)}
        />
      )}
      {dialog?.type === 'edit' && <EditKeyModal k={dialog.k} onClose={close} onSaved={done} />}
      {dialog?.type === 'revoke' && <RevokeKeyModal k={dialog.k} onClose={close} onRevoked={done} />}
    </section>
  );
}
