import type { WebhookEventType } from '../../core/webhook-events.js';
import type { Db } from '../store.js';

/** Active keys whose expiry falls in (from, to], soonest first, at most `limit`. */
export async function keysExpiringBetween(db: Db, from: number, to: number, limit: number): Promise<{ id: string; accountId: string }[]> {
  const rows = await db
    .selectFrom('access_keys')
    .select(['id', 'account_id'])
    .where('status', '=', 'active')
    .where('expires_at', '>', from)
    .where('expires_at', '<=', to)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, accountId: r.account_id }));
}

/** Which of these notices were already recorded for a key. */
export async function noticesOf(db: Db, keyId: string, type: WebhookEventType): Promise<Set<number>> {
  const rows = await db.selectFrom('key_notices').select('threshold').where('key_id', '=', keyId).where('event_type', '=', type).execute();
  return new Set(rows.map((r) => Number(r.threshold)));
}

/**
 * Records that a notice was sent; false when one already was. The primary key (key, type,
 * threshold) is what makes the scan safe on every node at once: only the node whose insert
 * lands emits the event, in the same transaction.
 */
export async function insertNotice(db: Db, keyId: string, type: WebhookEventType, threshold: number, now: number): Promise<boolean> {
  const res = await db
    .insertInto('key_notices')
    .values({ key_id: keyId, event_type: type, threshold, created_at: now })
    .onConflict((oc) => oc.columns(['key_id', 'event_type', 'threshold']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}
