import type { AuditAction, AuditTargetType } from '../../core/audit-actions.js';
import type { AuditEvent } from '../../core/model.js';
import type { Db } from '../store.js';

export async function insertAuditEvent(db: Db, e: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: e.id,
      account_id: e.accountId,
      actor_id: e.actorId,
      action: e.action,
      target_type: e.targetType,
      target_id: e.targetId,
      ip: e.ip,
      created_at: e.createdAt,
      details: JSON.stringify(e.details),
    })
    .execute();
}

/** Narrows the audit log; every field is optional and they combine with AND. */
export interface AuditFilter {
  actorId?: string | undefined;
  /** Any of these actions. */
  actions?: readonly AuditAction[] | undefined;
  targetType?: AuditTargetType | undefined;
  targetId?: string | undefined;
  /** Inclusive lower and exclusive upper bound of `created_at`, epoch ms. */
  from?: number | undefined;
  to?: number | undefined;
}

/**
 * Newest first, ordered by (created_at, id) so events of the same millisecond have a fixed
 * order, and paged by that pair (keyset): `after` is the last event of the previous page.
 * `more` says whether anything follows the returned events.
 */
export async function listAuditEvents(
  db: Db,
  accountId: string,
  opts: { limit: number; after?: { createdAt: number; id: string }; filter?: AuditFilter },
): Promise<{ events: AuditEvent[]; more: boolean }> {
  let q = db.selectFrom('audit_events').selectAll().where('account_id', '=', accountId);
  const f = opts.filter ?? {};
  if (f.actorId !== undefined) q = q.where('actor_id', '=', f.actorId);
  if (f.actions !== undefined && f.actions.length > 0) q = q.where('action', 'in', [...f.actions]);
  if (f.targetType !== undefined) q = q.where('target_type', '=', f.targetType);
  if (f.targetId !== undefined) q = q.where('target_id', '=', f.targetId);
  if (f.from !== undefined) q = q.where('created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('created_at', '<', f.to);
  const after = opts.after;
  if (after !== undefined) {
    q = q.where((eb) =>
      eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]),
    );
  }
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(opts.limit + 1)
    .execute();
  const events = rows.slice(0, opts.limit).map((r) => ({
    id: r.id,
    accountId: r.account_id,
    actorId: r.actor_id,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    ip: r.ip,
    createdAt: Number(r.created_at),
    details: JSON.parse(r.details) as Record<string, unknown>,
  }));
  return { events, more: rows.length > opts.limit };
}

/** A webhook is named by where it points, without the query string (which may carry a token). */
function webhookName(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'webhook';
  }
}

/**
 * Display names of the actors and targets of audit events of one account: users (deleted ones
 * too, and the operator), applications, keys, devices, webhooks and the account itself. Only
 * rows of `accountId` are read (the operator aside), so no event can name another account's
 * things. One indexed query per kind present; ids without a row (a deleted key) are absent.
 */
export async function auditNames(db: Db, accountId: string, events: readonly AuditEvent[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const ids = (type: string | null) => [...new Set(events.filter((e) => type === null || e.targetType === type).map((e) => e.targetId))];
  const users = [...new Set([...events.flatMap((e) => (e.actorId ? [e.actorId] : [])), ...ids('user')])];
  if (users.length > 0) {
    const rows = await db
      .selectFrom('users')
      .select(['id', 'name', 'email'])
      .where('id', 'in', users)
      .where((eb) => eb.or([eb('account_id', '=', accountId), eb('is_operator', '=', 1)]))
      .execute();
    for (const r of rows) names.set(r.id, r.name || r.email);
  }
  const byTable = [
    ['application', 'applications'],
    ['key', 'access_keys'],
    ['device', 'devices'],
  ] as const;
  for (const [type, table] of byTable) {
    const wanted = ids(type);
    if (wanted.length === 0) continue;
    const rows = await db.selectFrom(table).select(['id', 'name']).where('id', 'in', wanted).where('account_id', '=', accountId).execute();
    for (const r of rows) names.set(r.id, r.name);
  }
  const hooks = ids('webhook');
  if (hooks.length > 0) {
    const rows = await db
      .selectFrom('webhook_endpoints')
      .select(['id', 'url', 'description'])
      .where('id', 'in', hooks)
      .where('account_id', '=', accountId)
      .execute();
    for (const r of rows) names.set(r.id, r.description.trim() || webhookName(r.url));
  }
  if (events.some((e) => e.targetType === 'account' && e.targetId === accountId)) {
    const row = await db.selectFrom('accounts').select('name').where('id', '=', accountId).executeTakeFirst();
    if (row) names.set(accountId, row.name);
  }
  return names;
}

/**
 * When each key was last reported leaked: the newest `key.leak` audit event the leak intake
 * wrote for it (src/service/leaks.ts). Keys never reported are absent. Uses the index
 * audit_events_target (migration 0010): one indexed query per 500 keys listed.
 */
export async function leakTimes(db: Db, accountId: string, keyIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (keyIds.length === 0) return out;
  // In slices, so a large customer-key listing stays under SQLite's and PostgreSQL's bound-parameter limits.
  for (let i = 0; i < keyIds.length; i += 500) {
    const rows = await db
      .selectFrom('audit_events')
      .select((eb) => ['target_id', eb.fn.max<number>('created_at').as('at')])
      .where('action', '=', 'key.leak')
      .where('target_id', 'in', keyIds.slice(i, i + 500))
      .where('account_id', '=', accountId)
      .groupBy('target_id')
      .execute();
    for (const r of rows) out.set(r.target_id, Number(r.at));
  }
  return out;
}
