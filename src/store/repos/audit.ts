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

export async function listAuditEvents(db: Db, accountId: string, opts: { limit: number; before?: number }): Promise<AuditEvent[]> {
  let q = db.selectFrom('audit_events').selectAll().where('account_id', '=', accountId);
  if (opts.before !== undefined) q = q.where('created_at', '<', opts.before);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
  return rows.map((r) => ({
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
}
