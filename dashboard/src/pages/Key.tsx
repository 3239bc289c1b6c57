import type { AccessKey } from '@keyward/client/management';
import { useState } from 'react';
import { api } from '../api';
import { EditKeyModal, expiryText, ScopeList } from '../components/keys';
import { keyLimits, LimitsDetails } from '../components/limits';
import { ErrorBanner, LeakedBadge, Loading, PageHeader, StatusBadge } from '../components/ui';
import { formatTime, relative } from '../format';
import { useAsync } from '../hooks';
import { Link } from '../router';
import { type SessionState, useSession } from '../session';

/**
 * Who may edit a key, as the server decides it (the server checks again): customer keys admins;
 * application keys `keys.edit.any`, or `keys.edit.mine` on applications the user created.
 */
export function mayEditKey(s: SessionState, k: AccessKey, appCreatedBy: string | null): boolean {
  if (k.status === 'revoked') return false;
  if (k.kind === 'customer') return s.isAdmin;
  return s.isAdmin || s.can('keys.edit.any') || (s.can('keys.edit.mine') && appCreatedBy === s.me.user.id);
}

/** One key: its facts, its rate limits and the credits left on its quota, and who may change them. */
export function KeyPage({ id }: { id: string }) {
  const s = useSession();
  const key = useAsync(async () => {
    const k = await api.getKey(s.account.id, id);
    // Only to decide whether to offer Edit to holders of keys.edit.mine; the server decides.
    const app = k.applicationId ? await api.getApplication(s.account.id, k.applicationId).catch(() => null) : null;
    return { k, appCreatedBy: app?.createdBy ?? null };
  }, [s.account.id, id]);
  const [editing, setEditing] = useState(false);
  const crumbs = (
    <p className="breadcrumb">
      <Link to="/api-keys">API Keys</Link>
      {key.data && (
        <>
          {' '}
          <span aria-hidden="true">/</span> {key.data.k.name}
        </>
      )}
    </p>
  );
  if (key.loading && !key.data) return <Loading />;
  if (!key.data) {
    return (
      <>
        {crumbs}
        <ErrorBanner error={key.error} title="Could not load the access key" />
      </>
    );
  }
  const { k, appCreatedBy } = key.data;
  const editable = mayEditKey(s, k, appCreatedBy);
  return (
    <>
      {crumbs}
      <PageHeader
        title={k.name}
        subtitle={
          <>
            <StatusBadge status={k.status} /> <LeakedBadge leakedAt={k.leakedAt} />
          </>
        }
        actions={
          editable && (
            <button type="button" className="button" onClick={() => setEditing(true)}>
              Edit
            </button>
          )
        }
      />
      <div className="stack">
        <section className="card" aria-labelledby="key-facts">
          <h2 className="card-title" id="key-facts">
            Details
          </h2>
          <dl className="details">
            <dt>Key ID</dt>
            <dd>
              <code className="mono id">{k.id}</code>
            </dd>
            <dt>Key</dt>
            <dd>
              <code className="mono id">{k.start}…</code>
            </dd>
            <dt>Type</dt>
            <dd>{k.kind === 'application' ? 'Application key' : 'Customer key'}</dd>
            {k.applicationId && (
              <>
                <dt>Application</dt>
                <dd>
                  <Link to={`/applications/${k.applicationId}/keys`}>
                    <code className="mono id">{k.applicationId}</code>
                  </Link>
                </dd>
              </>
            )}
            <dt>Scopes</dt>
            <dd>
              <ScopeList k={k} />
            </dd>
            <dt>Created</dt>
            <dd>{formatTime(k.createdAt)}</dd>
            <dt>Expires</dt>
            <dd>{expiryText(k)}</dd>
            <dt>Last used</dt>
            <dd title={formatTime(k.lastUsedAt)}>{relative(k.lastUsedAt)}</dd>
            <dt>Uses</dt>
            <dd>
              {k.usageCount.toLocaleString('en-GB')} · <Link to="/usage">Usage</Link>
            </dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="key-limits">
          <h2 className="card-title" id="key-limits">
            Rate limits and quota
          </h2>
          <LimitsDetails value={keyLimits(k)} none="This key has no rate limits or quota of its own." />
          <p className="hint">The account's own limits and plan apply to this key as well.</p>
          {editable && (
            <div className="card-actions">
              <button type="button" className="button" onClick={() => setEditing(true)}>
                Edit limits
              </button>
            </div>
          )}
        </section>
      </div>
      {editing && (
        <EditKeyModal
          k={k}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            key.reload();
          }}
        />
      )}
    </>
  );
}
