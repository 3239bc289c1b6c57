import { type SecondChance, secondChanceVictim } from '../cache/second-chance.js';
import { assertRight } from '../core/access.js';
import type { Change } from '../core/changes.js';
import { KeywardError } from '../core/errors.js';
import {
  type CheckOutcome,
  type CheckRequest,
  type DeviceLimitDecision,
  type KeyLimits,
  type LimitCheck,
  limitChecksFor,
  type PlanDef,
  type QuotaSpec,
  quotaChecksFor,
  type RateLimitSpec,
  type RefillInterval,
  refillPeriod,
  reportOf,
} from '../core/ratelimit.js';
import type { RateLimitEngine } from '../ratelimit/engine.js';
import { findAccount } from '../store/repos/accounts.js';
import { putQuotaCounter, readQuotaCounter, readQuotaCounters, type StoredQuotaCounter } from '../store/repos/quotas.js';
import type { Db } from '../store/store.js';
import type { Actor, Ctx } from './context.js';

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

/** What DeviceLimits needs of the runtime: read at each check, since `limiter` is replaced once Redis connects. */
export interface DeviceLimitsCtx {
  store: Pick<Ctx['store'], 'db'>;
  catalogue: { plans: ReadonlyMap<string, PlanDef> };
  now: () => number;
  limiter: RateLimitEngine;
  limitShare: number;
}

/** What a device limit decision was about, for its observers (metrics, limit events). */
export interface DeviceDecisionSeen {
  deviceId: string;
  /** The account's limits (`key` empty): `account.accountId`, quota and plan. */
  limits: KeyLimits;
  req: CheckRequest;
}

interface AccountLimitsEntry extends SecondChance {
  /** null: the account has no limit, no quota and no plan with limits (or does not exist). */
  limits: KeyLimits | null;
  expiresAt: number;
  /** Every limit at cost 1, computed once per entry (and plans / share, which it depends on). */
  checks?: { plans: ReadonlyMap<string, PlanDef>; share: number; limits: LimitCheck[] };
}

/**
 * The limits of signed device requests (CTN1, `POST /v1/signatures/verify` and `GET
 * /v1/authorize`): a device has no limits of its own, its **account's** apply: the account's
 * rate limits (own, else its plan's of the same name) and its quota, on the same counters the
 * account's keys use, so an account limit of N counts keys and devices together. Each signed
 * request costs 1 on every limit and 1 credit. A refusal consumes nothing.
 *
 * The account's limits are cached per account (they are not in the device's signing record),
 * dropped on every account change, locally and relayed from other nodes like the device cache
 * (it is one of the relay's caches), and after `ttlMs` at most; a read in flight when a change
 * arrives is not stored. `maxEntries` 0 reads the account on every signed request.
 */
export class DeviceLimits {
  private readonly entries = new Map<string, AccountLimitsEntry>();
  private epoch = 0;
  private ttlBound: number | undefined;

  constructor(
    private readonly ctx: DeviceLimitsCtx,
    private readonly opts: { ttlMs: number; maxEntries: number; onDecision?: (outcome: CheckOutcome, seen: DeviceDecisionSeen) => void },
  ) {}

  /** `deviceId`: the device whose signed request this is, named in the limit events a decision raises. */
  check(accountId: string, deviceId: string): DeviceLimitDecision | Promise<DeviceLimitDecision> {
    const now = this.ctx.now();
    const entry = this.entries.get(accountId);
    if (entry !== undefined) {
      if (entry.expiresAt > now) {
        entry.used = true;
        return this.decide(entry, now, deviceId);
      }
      this.entries.delete(accountId);
    }
    const started = this.epoch;
    return this.load(accountId).then((limits) => {
      const fresh: AccountLimitsEntry = { limits, expiresAt: 0, used: false };
      if (started === this.epoch) this.store(accountId, fresh, now);
      return this.decide(fresh, this.ctx.now(), deviceId);
    });
  }

  invalidate(change: Change): void {
    if (change.type === 'account') {
      this.epoch++;
      this.entries.delete(change.accountId);
    } else if (change.type !== 'key' && change.type !== 'application' && change.type !== 'user' && change.type !== 'device') {
      this.clear();
    }
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  setTtlBound(ms: number | undefined): void {
    this.ttlBound = ms;
    if (ms === undefined) return;
    const latest = this.ctx.now() + ms;
    for (const e of this.entries.values()) if (e.expiresAt > latest) e.expiresAt = latest;
  }

  private async load(accountId: string): Promise<KeyLimits | null> {
    const account = await findAccount(this.ctx.store.db, accountId);
    if (account === undefined) return null;
    const plan = account.plan === null ? undefined : this.ctx.catalogue.plans.get(account.plan);
    if (account.ratelimits.length === 0 && account.quota === null && (plan?.ratelimits.length ?? 0) === 0) return null;
    return {
      keyId: '',
      accountId,
      key: { ratelimits: [], quota: null },
      account: { ratelimits: account.ratelimits, quota: account.quota, plan: account.plan },
    };
  }

  private store(accountId: string, entry: AccountLimitsEntry, now: number): void {
    if (this.opts.maxEntries <= 0 || this.opts.ttlMs <= 0) return;
    if (this.entries.size >= this.opts.maxEntries) {
      const victim = secondChanceVictim(this.entries);
      if (victim !== undefined) this.entries.delete(victim);
    }
    entry.expiresAt = now + (this.ttlBound === undefined ? this.opts.ttlMs : Math.min(this.opts.ttlMs, this.ttlBound));
    this.entries.set(accountId, entry);
  }

  private decide(entry: AccountLimitsEntry, now: number, deviceId: string): DeviceLimitDecision | Promise<DeviceLimitDecision> {
    const l = entry.limits;
    if (l === null) return null;
    const { plans } = this.ctx.catalogue;
    const share = this.ctx.limitShare;
    if (entry.checks === undefined || entry.checks.plans !== plans || entry.checks.share !== share) {
      entry.checks = { plans, share, limits: limitChecksFor(l, plans, undefined, share) };
    }
    const req: CheckRequest = { limits: entry.checks.limits, quotas: quotaChecksFor(l, 1, now), now };
    if (req.limits.length === 0 && req.quotas.length === 0) return null;
    const outcome = this.ctx.limiter.check(req);
    const seen: DeviceDecisionSeen = { deviceId, limits: l, req };
    return outcome instanceof Promise ? outcome.then((o) => this.decision(o, seen)) : this.decision(outcome, seen);
  }

  private decision(o: CheckOutcome, seen: DeviceDecisionSeen): DeviceLimitDecision {
    this.opts.onDecision?.(o, seen);
    return o.allowed ? { allowed: true, report: reportOf(o) } : { allowed: false, code: o.code, report: reportOf(o) };
  }
}

/**
 * The catalogue's plans, for the operator (who gives them to accounts) and for account admins
 * (who see what their account could be on). Read-only: plans are configuration (the catalogue
 * file). Anyone else is refused (403 FORBIDDEN), access keys included unless they act as an admin.
 */
export function listPlans(ctx: Ctx, actor: Actor): PlanDef[] {
  assertRight(actor.principal, 'admin');
  return [...ctx.catalogue.plans.values()];
}
