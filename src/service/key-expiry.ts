import { insertNotice, keysExpiringBetween, noticesOf } from '../store/repos/key-notices.js';
import { findKey } from '../store/repos/keys.js';
import type { Ctx } from './context.js';
import { emit, keyEventData } from './events.js';

/** Keys looked at per scan; the next scan takes the rest. */
const SCAN_LIMIT = 500;

/**
 * The time-based key events: key.expiring at each configured threshold before expiry (7 d and
 * 1 d by default) and key.expired after it. Safe on every node at once: each notice is a row
 * keyed (key, type, threshold), inserted in the transaction that emits the event, so only the
 * node whose insert lands sends it. A key found past several thresholds at once (created
 * expiring in 12 h) gets one key.expiring, for the nearest threshold, and all are marked.
 * Returns the number of events emitted.
 */
export async function scanKeyExpiry(ctx: Ctx): Promise<number> {
  const cfg = ctx.config.webhooks;
  const now = ctx.now();
  let emitted = 0;
  const thresholds = cfg.expiringSeconds; // descending
  const widest = thresholds[0];
  if (widest !== undefined) {
    for (const k of await keysExpiringBetween(ctx.store.db, now, now + widest * 1000, SCAN_LIMIT)) {
      // Read before the transaction, which then writes first: a SQLite transaction that reads and
      // then writes fails at once (SQLITE_BUSY) when another connection writes in between.
      const key = await findKey(ctx.store.db, k.accountId, k.id);
      if (key?.status !== 'active' || key.expiresAt === null || key.expiresAt <= now) continue;
      const sent = await noticesOf(ctx.store.db, key.id, 'key.expiring');
      const crossed = thresholds.filter((t) => key.expiresAt !== null && key.expiresAt - now <= t * 1000 && !sent.has(t));
      const nearest = crossed.at(-1);
      if (nearest === undefined) continue;
      emitted += await ctx.store.transaction(async (tx) => {
        if (key.expiresAt === null) return 0;
        let won = false;
        for (const t of crossed) won = (await insertNotice(tx, key.id, 'key.expiring', t, now)) || won;
        if (!won) return 0;
        await emit(ctx, tx, 'key.expiring', key.accountId, {
          key: keyEventData(key, now),
          expiresAt: key.expiresAt,
          thresholdSeconds: nearest,
        });
        return 1;
      });
    }
  }
  for (const k of await keysExpiringBetween(ctx.store.db, now - cfg.expiredLookbackMs, now, SCAN_LIMIT)) {
    const key = await findKey(ctx.store.db, k.accountId, k.id);
    if (key?.status !== 'active' || key.expiresAt === null || key.expiresAt > now) continue;
    const expiresAt = key.expiresAt;
    emitted += await ctx.store.transaction(async (tx) => {
      if (!(await insertNotice(tx, key.id, 'key.expired', 0, now))) return 0;
      await emit(ctx, tx, 'key.expired', key.accountId, { key: keyEventData(key, now), expiredAt: expiresAt });
      return 1;
    });
  }
  return emitted;
}
