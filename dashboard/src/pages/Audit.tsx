import { type ReactNode, useId } from 'react';
import { api } from '../api';
import { type Column, DataTable, LoadMore } from '../components/DataTable';
import { EmptyState, ErrorBanner, Loading, PageHeader } from '../components/ui';
import { useAsync, usePagedList, useUrlQuery } from '../hooks';
import { useSession } from '../session';

const PAGE = 50;

type AuditEvent = Awaited<ReturnType<typeof api.listAuditEvents>>['events'][number];

const NOUNS: Record<string, string> = {
  account: 'Account',
  user: 'User',
  application: 'Application',
  key: 'Access key',
  device: 'Device',
  device_secret: 'Device secret',
  shared_secret: 'Shared secret',
  master_key: 'Master key',
  webhook: 'Webhook',
  leak_policy: 'Leak policy',
};
const VERBS: Record<string, string> = {
  create: 'created',
  update: 'updated',
  set_limits: 'limits changed',
  delete: 'deleted',
  sign_out_everywhere: 'signed out everywhere',
  revoke: 'revoked',
  rotate: 'rotated',
  reset: 'reset',
  view: 'viewed',
  rotate_secret: 'signing secret rotated',
  disable: 'disabled',
  redeliver: 'event redelivered',
  test: 'test event sent',
  leak: 'reported leaked',
};

/** `key.revoke` → "Access key revoked"; an action this dashboard does not know keeps its code. */
export function actionLabel(action: string): string {
  const [noun = '', verb = ''] = action.split('.');
  const n = NOUNS[noun];
  const v = VERBS[verb];
  return n && v ? `${n} ${v}` : action;
}

/** Every action, for the filter: one group per noun ("any key action" first). */
const ACTION_GROUPS: { noun: string; actions: string[] }[] = [
  { noun: 'account', actions: ['account.create', 'account.update', 'account.set_limits', 'leak_policy.update'] },
  { noun: 'user', actions: ['user.create', 'user.update', 'user.delete', 'user.sign_out_everywhere'] },
  { noun: 'application', actions: ['application.create', 'application.update', 'application.revoke'] },
  { noun: 'key', actions: ['key.create', 'key.update', 'key.set_limits', 'key.revoke', 'key.rotate', 'key.delete', 'key.leak'] },
  { noun: 'device', actions: ['device.create', 'device.update', 'device.delete', 'device_secret.reset'] },
  { noun: 'shared_secret', actions: ['shared_secret.view', 'shared_secret.reset'] },
  {
    noun: 'webhook',
    actions: [
      'webhook.create',
      'webhook.update',
      'webhook.delete',
      'webhook.rotate_secret',
      'webhook.disable',
      'webhook.redeliver',
      'webhook.test',
    ],
  },
];

const TARGET_TYPES = ['account', 'user', 'application', 'key', 'device', 'webhook'] as const;

/** Local date and time with seconds, e.g. "26 Nov 2026, 09:14:03". */
const withSeconds = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
export const formatSeconds = (ms: number) => withSeconds.format(new Date(ms));

/** `2026-11-26` (a date input's value) → local midnight in epoch ms; `end` → the next midnight. */
function dayToMs(day: string, end: boolean): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (end ? 1 : 0));
  return Number.isNaN(d.getTime()) ? undefined : d.getTime();
}

const AUDIT_QUERY = { actor: '', action: '', targetType: '', targetId: '', from: '', to: '' };

function Named({ name, id, fallback }: { name: string | null; id: string; fallback?: ReactNode }) {
  return (
    <>
      {name ? <span className="audit-name">{name}</span> : fallback}
      <div>
        <code className="mono id small">{id}</code>
      </div>
    </>
  );
}

export function AuditPage() {
  const s = useSession();
  const id = useId();
  const [query, setQuery] = useUrlQuery(AUDIT_QUERY);
  const users = useAsync(() => api.listUsers(s.account.id, { sort: 'name' }), [s.account.id]);
  const list = usePagedList(
    async (cursor) => {
      const from = dayToMs(query.from, false);
      const to = dayToMs(query.to, true);
      const r = await api.listAuditEvents(s.account.id, {
        limit: PAGE,
        ...(cursor !== undefined && { cursor }),
        ...(query.actor && { actor: query.actor }),
        ...(query.action && { action: query.action as 'key' }),
        ...(query.targetType && { targetType: query.targetType as 'key' }),
        ...(query.targetId.trim() && { targetId: query.targetId.trim() }),
        ...(from !== undefined && { from }),
        ...(to !== undefined && { to }),
      });
      return { items: r.events, nextCursor: r.nextCursor };
    },
    [s.account.id, query.actor, query.action, query.targetType, query.targetId, query.from, query.to],
  );
  const events = list.items;
  const filtered = Object.values(query).some((v) => v !== '');
  const columns: Column<AuditEvent>[] = [
    {
      label: 'Time',
      className: 'nowrap',
      cell: (e) => <time dateTime={new Date(e.createdAt).toISOString()}>{formatSeconds(e.createdAt)}</time>,
    },
    {
      label: 'Action',
      cell: (e) => (
        <>
          <strong>{actionLabel(e.action)}</strong>
          <div>
            <code className="action small muted">{e.action}</code>
          </div>
        </>
      ),
    },
    {
      label: 'Target',
      cell: (e) => (
        <Named name={e.targetName} id={e.targetId} fallback={<span className="muted">{NOUNS[e.targetType] ?? e.targetType}</span>} />
      ),
    },
    {
      label: 'Actor',
      cell: (e) =>
        e.actorId ? (
          <Named name={e.actorName} id={e.actorId} fallback={<span className="muted">Unknown user</span>} />
        ) : (
          <span className="muted">System</span>
        ),
    },
    { label: 'IP address', className: 'mono', cell: (e) => e.ip ?? '—' },
  ];
  return (
    <>
      <PageHeader
        title="Audit log"
        subtitle="Who did what to which credential, when and from where. Newest first; entries cannot be changed."
      />
      <search className="list-controls audit-filters" aria-label="Filter the audit log">
        <div className="list-selects">
          <label className="list-select">
            <span>Actor</span>
            <select value={query.actor} onChange={(e) => setQuery({ actor: e.target.value })}>
              <option value="">Anyone</option>
              {(users.data?.users ?? []).map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name} ({u.email})
                </option>
              ))}
              {query.actor && !users.data?.users.some((u) => u.id === query.actor) && <option value={query.actor}>{query.actor}</option>}
            </select>
          </label>
          <label className="list-select">
            <span>Action</span>
            <select value={query.action} onChange={(e) => setQuery({ action: e.target.value })}>
              <option value="">Any action</option>
              {ACTION_GROUPS.map((g) => (
                <optgroup key={g.noun} label={NOUNS[g.noun]}>
                  <option value={g.noun}>Any {NOUNS[g.noun]?.toLowerCase()} action</option>
                  {g.actions.map((a) => (
                    <option key={a} value={a}>
                      {actionLabel(a)}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          </label>
          <label className="list-select">
            <span>Target type</span>
            <select value={query.targetType} onChange={(e) => setQuery({ targetType: e.target.value })}>
              <option value="">Any target</option>
              {TARGET_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t === 'key' ? 'Access key' : (NOUNS[t] ?? t)}
                </option>
              ))}
            </select>
          </label>
          <label className="list-select" htmlFor={`${id}-target`}>
            <span>Target ID</span>
            <input
              id={`${id}-target`}
              type="text"
              className="mono"
              placeholder="e.g. app_…"
              maxLength={64}
              value={query.targetId}
              onChange={(e) => setQuery({ targetId: e.target.value })}
            />
          </label>
          <label className="list-select">
            <span>From</span>
            <input type="date" value={query.from} onChange={(e) => setQuery({ from: e.target.value })} />
          </label>
          <label className="list-select">
            <span>To</span>
            <input type="date" value={query.to} onChange={(e) => setQuery({ to: e.target.value })} />
          </label>
          {filtered && (
            <button type="button" className="button button-small" onClick={() => setQuery(AUDIT_QUERY)}>
              Clear filters
            </button>
          )}
        </div>
      </search>
      <ErrorBanner error={list.error} title="Could not load the audit log" />
      {list.loading && events.length === 0 ? (
        <Loading />
      ) : events.length === 0 && !list.error ? (
        <EmptyState title={filtered ? 'No matching events' : 'No events yet'} />
      ) : (
        <>
          <DataTable caption="Audit events" columns={columns} rows={events} rowKey={(e) => e.id} />
          <LoadMore shown={events.length} hasMore={list.hasMore} loading={list.loading} onMore={list.loadMore} />
        </>
      )}
    </>
  );
}
