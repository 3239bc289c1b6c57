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

/**
 * Newest first, ordered by (created_at, id) so events of the same millisecond have a fixed
 * order, and paged by that pair (keyset): `after` is the last event of the previous page.
 * `more` says whether anything follows the returned events.
 */
export async function listAuditEvents(
  db: Db,
  accountId: string,
  opts: { limit: number; after?: { createdAt: number; id: string } },
): Promise<{ events: AuditEvent[]; more: boolean }> {
  let q = db.selectFrom('audit_events').selectAll().where('account_id', '=', accountId);
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
    createdAt: r.created_at,
    details: JSON.parse(r.details) as Record<string, unknown>,
  }));
  return { events, more: rows.length > opts.limit };
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
