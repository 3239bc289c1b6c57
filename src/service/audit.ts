import { AUDIT_ACTIONS, type AuditAction } from '../core/audit-actions.js';
import { newId } from '../core/ids.js';
import type { AuditEvent } from '../core/model.js';
import { type AuditFilter, auditNames, insertAuditEvent, listAuditEvents } from '../store/repos/audit.js';
import type { Db } from '../store/store.js';
import type { Actor, Ctx } from './context.js';
import { authorizeOn } from './guards.js';

/**
 * Append an audit event inside the caller's transaction, so the event and the change commit
 * together. The action comes from the closed table in core/audit-actions.ts, which also names
 * the type of its target.
 */
export async function audit(
  ctx: Ctx,
  tx: Db,
  actor: Actor | null,
  e: { accountId: string | null; action: AuditAction; targetId: string; details?: Record<string, unknown> },
): Promise<void> {
  await insertAuditEvent(tx, {
    id: newId('audit'),
    accountId: e.accountId,
    actorId: actor?.principal.userId ?? null,
    action: e.action,
    targetType: AUDIT_ACTIONS[e.action],
    targetId: e.targetId,
    ip: actor?.ip ?? null,
    createdAt: ctx.now(),
    details: { ...(actor?.principal.viaKeyId ? { viaKeyId: actor.principal.viaKeyId } : {}), ...e.details },
  });
}

export async function listAudit(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  opts: { limit: number; after?: { createdAt: number; id: string }; filter?: AuditFilter },
): Promise<{ events: AuditEvent[]; more: boolean; names: Map<string, string> }> {
  await authorizeOn(ctx, actor, accountId, { right: 'audit.read' });
  const page = await listAuditEvents(ctx.store.db, accountId, opts);
  return { ...page, names: await auditNames(ctx.store.db, accountId, page.events) };
}
