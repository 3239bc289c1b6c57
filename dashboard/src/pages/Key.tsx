import type { AccessKey, CreatedKey } from '@keyward/client/management';
import { useState } from 'react';
import { api, isMissingRoute } from '../api';
import { FormModal, TextInput } from '../components/forms';
import { EditKeyModal, KeyCreatedModal, ScopeList } from '../components/keys';
import { keyLimits, LimitsDetails } from '../components/limits';
import { toast } from '../components/Toast';
import { UsageChart } from '../components/UsageChart';
import { Ago, CopyId, ErrorBanner, LeakedBadge, Loading, PageHeader, StatusBadge, When } from '../components/ui';
import { useAsync } from '../hooks';
import { Link, navigate } from '../router';
import { rights, type SessionState, useSession } from '../session';

/**
 * Who may edit a key, as the server decides it (the server checks again): customer keys admins;
 * application keys `keys.edit.any`, or `keys.edit.mine` on applications the user created.
 */
export function mayEditKey(s: SessionState, k: AccessKey, appCreatedBy: string | null): boolean {
  if (k.status === 'revoked') return false;
  if (k.kind === 'customer') return s.isAdmin;
  return s.isAdmin || s.can('keys.edit.any') || (s.can('keys.edit.mine') && appCreatedBy === s.me.user.id);
}

/**
 * Who may rotate a key (POST …/keys/{id}/rotate), as the server decides it: the create and revoke
 * key permissions on its application (customer keys: admins); never the operator, whose keys
 * would belong to no account. `reason` says why not, for a disabled button; null when allowed.
 */
export function rotateRefusal(s: SessionState, k: AccessKey, appCreatedBy: string | null): string | null {
  if (s.me.user.isOperator) return 'A rotated key belongs to the user who rotates it: sign in as an account user to rotate keys.';
  if (k.kind === 'customer') return s.me.user.isAdmin ? null : 'Only account admins rotate customer keys.';
  const mine = appCreatedBy === s.me.user.id;
  const may = (a: string) => s.isAdmin || s.can(`keys.${a}.any`) || (mine && s.can(`keys.${a}.mine`));
  return may('create') && may('revoke') ? null : 'Rotating needs both the create and revoke key permissions on this application.';
}

const OVERLAPS = [
  { seconds: 0, label: 'None: the old key stops working at once' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 7 * 86_400, label: '7 days' },
  { seconds: 30 * 86_400, label: '30 days (the longest)' },
];

/** Rotate: a new key with exactly the old one's access; the old one keeps working for the overlap. */
function RotateKeyModal({ k, onClose, onRotated }: { k: AccessKey; onClose(): void; onRotated(r: CreatedKey): void }) {
  const s = useSession();
  const [overlap, setOverlap] = useState(3600);
  const [name, setName] = useState('');
  return (
    <FormModal
      title="Rotate access key"
      submitLabel="Rotate"
      onClose={onClose}
      submit={async () => {
        const r = await api.rotateKey(s.account.id, k.id, { overlapSeconds: overlap, ...(name.trim() && { name: name.trim() }) });
        onRotated(r);
      }}
    >
      <p>
        Keyward creates a new key with exactly the scopes, expiry and limits of <strong>{k.name}</strong>. Its secret is shown once. Replace
        the old key in your integration before the overlap ends.
      </p>
      <div className="field">
        <label htmlFor="rotate-overlap">Old key keeps working for</label>
        <select id="rotate-overlap" value={overlap} onChange={(e) => setOverlap(Number(e.target.value))}>
          {OVERLAPS.map((o) => (
            <option key={o.seconds} value={o.seconds}>
              {o.label}
            </option>
          ))}
        </select>
        <p className="hint">During the overlap both keys are active and both count towards the application's key limit.</p>
      </div>
      <TextInput
        id="rotate-name"
        label="New key's name"
        value={name}
        onChange={setName}
        maxLength={100}
        hint={`Empty keeps "${k.name}".`}
      />
    </FormModal>
  );
}

const DAY = 86_400_000;

/** The key's uses per hour over the last 7 days, with the totals. */
function KeyUsage({ k }: { k: AccessKey }) {
  const s = useSession();
  const [range] = useState(() => {
    const to = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
    return { from: to - 7 * DAY, to };
  });
  const usage = useAsync(() => api.getUsage(s.account.id, { keyId: k.id, from: range.from, to: range.to }), [s.account.id, k.id, range]);
  if (isMissingRoute(usage.error)) return null;
  const points = usage.data?.series.flatMap((x) => x.points) ?? [];
  const sum = (since: number, f: 'count' | 'rejected') => points.filter((p) => p.t >= since).reduce((n, p) => n + p[f], 0);
  return (
    <section className="card" aria-labelledby="key-usage">
      <h2 className="card-title" id="key-usage">
        Usage
      </h2>
      <ErrorBanner error={usage.error} title="Could not load the key's usage" />
      {usage.loading && !usage.data ? (
        <Loading />
      ) : usage.data ? (
        <>
          <dl className="details">
            <dt>All time</dt>
            <dd data-testid="uses-total">{k.usageCount.toLocaleString('en-GB')}</dd>
            <dt>Last 24 hours</dt>
            <dd data-testid="uses-24h">{sum(range.to - DAY, 'count').toLocaleString('en-GB')}</dd>
            <dt>Last 7 days</dt>
            <dd data-testid="uses-7d">
              {sum(range.from, 'count').toLocaleString('en-GB')}
              {sum(range.from, 'rejected') > 0 && (
                <span className="muted"> ({sum(range.from, 'rejected').toLocaleString('en-GB')} rejected by a rate limit or quota)</span>
              )}
            </dd>
          </dl>
          {points.length > 0 && <UsageChart series={usage.data.series} from={range.from} to={range.to} names={new Map([[k.id, k.name]])} />}
          <p className="hint">
            <Link to="/usage">Usage of every key</Link>
          </p>
        </>
      ) : null}
    </section>
  );
}

/** Who created the key: "You", the user's name (with users.view), or the user ID. */
function Creator({ userId }: { userId: string }) {
  const s = useSession();
  const mayRead = rights.viewUsers(s) && userId !== s.me.user.id;
  const user = useAsync(
    () => (mayRead ? api.getUser(s.account.id, userId).catch(() => null) : Promise.resolve(null)),
    [s.account.id, userId, mayRead],
  );
  if (userId === s.me.user.id) return <>You ({s.me.user.name})</>;
  if (user.data) {
    return (
      <CopyId value={userId} label="creator's user ID">
        <span>
          {user.data.name} <span className="muted">{user.data.email}</span>
        </span>
      </CopyId>
    );
  }
  return <CopyId value={userId} label="creator's user ID" />;
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
  const [rotating, setRotating] = useState(false);
  const [rotated, setRotated] = useState<CreatedKey | null>(null);
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
  const rotateWhyNot = k.status === 'active' ? rotateRefusal(s, k, appCreatedBy) : undefined;
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
          <>
            {editable && (
              <button type="button" className="button" onClick={() => setEditing(true)}>
                Edit
              </button>
            )}
            {rotateWhyNot !== undefined && (
              <button
                type="button"
                className="button button-primary"
                onClick={() => setRotating(true)}
                disabled={rotateWhyNot !== null}
                title={rotateWhyNot ?? 'A new key with the same access; the old one keeps working for an overlap'}
                aria-describedby={rotateWhyNot ? 'rotate-why-not' : undefined}
              >
                Rotate
              </button>
            )}
          </>
        }
      />
      {rotateWhyNot && (
        <p className="hint" id="rotate-why-not">
          {rotateWhyNot}
        </p>
      )}
      <div className="stack">
        <section className="card" aria-labelledby="key-facts">
          <h2 className="card-title" id="key-facts">
            Details
          </h2>
          <dl className="details">
            <dt>Key ID</dt>
            <dd>
              <CopyId value={k.id} label="key ID" />
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
                  <CopyId value={k.applicationId} label="application ID">
                    <Link to={`/applications/${k.applicationId}/keys`}>
                      <code className="mono id">{k.applicationId}</code>
                    </Link>
                  </CopyId>
                </dd>
              </>
            )}
            <dt>Scopes</dt>
            <dd>
              <ScopeList k={k} />
            </dd>
            <dt>Created</dt>
            <dd data-testid="key-created">
              <When ms={k.createdAt} /> · <Ago ms={k.createdAt} />
            </dd>
            <dt>Created by</dt>
            <dd>
              <Creator userId={k.createdBy} />
            </dd>
            <dt>Expires</dt>
            <dd>{k.expiresAt ? <When ms={k.expiresAt} /> : 'Never'}</dd>
            {k.revokedAt && (
              <>
                <dt>Revoked</dt>
                <dd>
                  <When ms={k.revokedAt} />
                </dd>
              </>
            )}
            <dt>Last used</dt>
            <dd data-testid="key-last-used">
              <Ago ms={k.lastUsedAt} />
            </dd>
          </dl>
        </section>
        <KeyUsage k={k} />
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
            toast('Access key saved');
            key.reload();
          }}
        />
      )}
      {rotating && (
        <RotateKeyModal
          k={k}
          onClose={() => setRotating(false)}
          onRotated={(r) => {
            setRotating(false);
            setRotated(r);
            toast('Access key rotated');
          }}
        />
      )}
      {rotated && (
        <KeyCreatedModal
          created={rotated}
          onClose={() => {
            const next = rotated.accessKey.id;
            setRotated(null);
            navigate(`/api-keys/${next}`);
          }}
        />
      )}
    </>
  );
}
