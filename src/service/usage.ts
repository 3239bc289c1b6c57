import { KeywardError } from '../core/errors.js';
import type { AccessKey } from '../core/model.js';
import { listKeyUsage } from '../store/repos/usage.js';
import type { Actor, Ctx } from './context.js';
import { getKey, listAccountKeys } from './keys.js';
import { HOUR_MS } from './usage-recorder.js';

/** Longest range one usage query may cover: 92 days of hourly points per key. */
export const MAX_USAGE_RANGE_MS = 92 * 24 * HOUR_MS;

export interface UsageSeries {
  keyId: string;
  points: { t: number; count: number; rejected: number }[];
}

/**
 * Hourly uses (and refusals by a rate limit or quota) of one key, or of every key the caller may view, in [from, to). Buffered
 * uses are flushed first so the chart includes the last second.
 */
export async function getUsage(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  q: { keyId?: string | undefined; from?: number | undefined; to?: number | undefined },
): Promise<UsageSeries[]> {
  const to = q.to ?? ctx.now();
  const from = q.from ?? to - 7 * 24 * HOUR_MS;
  if (from >= to) throw new KeywardError('VALIDATION_FAILED', '`from` must be before `to`.');
  if (to - from > MAX_USAGE_RANGE_MS) throw new KeywardError('VALIDATION_FAILED', 'The range may cover at most 92 days.');
  const keys: AccessKey[] = q.keyId
    ? [await getKey(ctx, actor, accountId, q.keyId)]
    : await listAccountKeys(ctx, actor, accountId, { includeRevoked: true });
  await ctx.usage.flush();
  const rows = await listKeyUsage(
    ctx.store.db,
    keys.map((k) => k.id),
    Math.floor(from / HOUR_MS) * HOUR_MS,
    to,
  );
  const byKey = new Map<string, UsageSeries>(keys.map((k) => [k.id, { keyId: k.id, points: [] }]));
  for (const r of rows) byKey.get(r.keyId)?.points.push({ t: r.t, count: r.count, rejected: r.rejected });
  return [...byKey.values()];
}
