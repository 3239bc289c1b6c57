import { KeywardError } from '../core/errors.js';
import { type QuotaSpec, type RateLimitSpec, type RefillInterval, refillPeriod } from '../core/ratelimit.js';
import { putQuotaCounter, readQuotaCounter, readQuotaCounters, type StoredQuotaCounter } from '../store/repos/quotas.js';
import type { Db } from '../store/store.js';
import type { Ctx } from './context.js';

/** A quota as the API takes it. */
export interface QuotaInputValue {
  credits: number;
  refill?: { amount: number; interval: RefillInterval } | null | undefined;
}

/** The limits a change sets: each field left out stays as it is; `quota: null` removes the quota. */
export interface LimitsPatch {
  ratelimits?: RateLimitSpec[] | undefined;
  quota?: QuotaInputValue | null | undefined;
}

/**
 * A quota set now: a generation above the previous one, so every counter and spend of the old
 * quota (in the store, in Redis, in memory) is void from this moment.
 */
export function quotaSpec(input: QuotaInputValue, previous: QuotaSpec | null, now: number): QuotaSpec {
  return { credits: input.credits, refill: input.refill ?? null, generation: Math.max(now, (previous?.generation ?? 0) + 1) };
}

/** The counter of a quota just set: its credits, in the refill period now is in. */
export async function startQuotaCounter(tx: Db, ownerId: string, q: QuotaSpec, now: number): Promise<void> {
  const periodStart = q.refill === null ? 0 : refillPeriod(q.refill.interval, now).start;
  await putQuotaCounter(tx, { ownerId, generation: q.generation, remaining: q.credits, periodStart });
}

/** A rotated key's successor goes on spending from where the old key's stored counter is. */
export async function copyQuotaCounter(tx: Db, fromOwnerId: string, toOwnerId: string): Promise<void> {
  const c = await readQuotaCounter(tx, fromOwnerId);
  if (c) await putQuotaCounter(tx, { ...c, ownerId: toOwnerId });
}

/** The plan must be in the catalogue: an account cannot be given a plan nothing defines. */
export function assertPlan(ctx: Ctx, plan: string | null | undefined): void {
  if (plan == null || ctx.catalogue.plans.has(plan)) return;
  throw new KeywardError('UNKNOWN_PLAN', `No plan "${plan}" in the catalogue.`, { plan });
}

/** What a stored counter holds now: refilled lazily when a refill period began since it was written. */
export function currentRemaining(q: QuotaSpec, stored: StoredQuotaCounter | undefined, now: number): number {
  if (stored === undefined || stored.generation < q.generation) return 0;
  if (q.refill !== null && stored.periodStart < refillPeriod(q.refill.interval, now).start) return q.refill.amount;
  return Math.max(0, stored.remaining);
}

/** Stored quota counters (spends of the last flush interval may not be in yet), per owner. */
export async function storedCounters(ctx: Ctx, ownerIds: readonly string[]): Promise<Map<string, StoredQuotaCounter>> {
  return readQuotaCounters(ctx.store.db, ownerIds);
}
