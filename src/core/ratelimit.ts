import { z } from 'zod';

/**
 * Rate limits and quotas (issue #12): the model and the pure arithmetic every engine shares
 * (the in-process one and the Redis Lua script compute exactly this). No I/O.
 */

export const WINDOWS = ['second', 'minute', 'hour', 'day'] as const;
export type RateWindow = (typeof WINDOWS)[number];
export const WINDOW_MS: Record<RateWindow, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export const REFILL_INTERVALS = ['daily', 'monthly'] as const;
export type RefillInterval = (typeof REFILL_INTERVALS)[number];

/** A named rate: `limit` requests per `window`; `burst` (default `limit`) is how many may come at once. */
export interface RateLimitSpec {
  name: string;
  limit: number;
  window: RateWindow;
  burst?: number | undefined;
}

/** A quota as configured: `credits` granted when set, refilled to `refill.amount` at each period. */
export interface QuotaSpec {
  credits: number;
  refill: { amount: number; interval: RefillInterval } | null;
  /** Bumped each time the quota is set: counters of an older generation are void. */
  generation: number;
}

/** A plan of the catalogue: a named bundle of limits and a quota, given to accounts by the operator. */
export interface PlanDef {
  name: string;
  description: string;
  ratelimits: RateLimitSpec[];
  quota: Omit<QuotaSpec, 'generation'> | null;
}

export const MAX_LIMITS = 10;

/** The input schemas (API and catalogue file share them). */
export const RateLimitInput = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,49}$/, 'names are 1-50 of a-z 0-9 . _ - and start with a letter or digit')
    .describe('Names the limit; a verification can ask for it by name'),
  limit: z.number().int().min(1).max(1_000_000_000).describe('Requests allowed per window'),
  window: z.enum(WINDOWS),
  burst: z.number().int().min(1).max(1_000_000_000).optional().describe('Requests allowed at once (default: `limit`)'),
});
export const RateLimitsInput = z
  .array(RateLimitInput)
  .max(MAX_LIMITS)
  .refine((list) => new Set(list.map((l) => l.name)).size === list.length, 'limit names must be unique');
export const QuotaInput = z.strictObject({
  credits: z.number().int().min(0).max(1e15).describe('Credits granted now'),
  refill: z
    .strictObject({ amount: z.number().int().min(0).max(1e15), interval: z.enum(REFILL_INTERVALS) })
    .nullable()
    .optional()
    .describe('Reset the remaining credits to `amount` at the start of every UTC day or month'),
});

/** One limit as a check applies it: the counter it uses and its GCRA parameters. */
export interface LimitCheck {
  /** The counter: `k:<keyId>:<name>:<params>` or `a:<accountId>:<name>:<params>`. */
  counter: string;
  name: string;
  owner: 'key' | 'account';
  limit: number;
  windowSeconds: number;
  /** Emission interval: the window divided by the limit (ms per request; informative, the engines use the exact units below). */
  intervalMs: number;
  /** Tolerance: burst × interval (how far ahead of now the counter may run). */
  toleranceMs: number;
  cost: number;
  /**
   * Exact GCRA units (`gcra`): a time is whole ms plus a fraction counted in 1/`den` ms, where
   * `den` is the limit, so the interval (window / limit) is exactly `windowMs` of those units.
   * `step` is cost × interval and `tol` burst × interval, each split into whole ms and the rest.
   */
  den: number;
  stepMs: number;
  stepFrac: number;
  tolMs: number;
  tolFrac: number;
}

export interface QuotaCheck {
  /** The key or account id whose credits are spent. */
  ownerId: string;
  owner: 'key' | 'account';
  generation: number;
  cost: number;
  refill: QuotaSpec['refill'];
  /** Start of the refill period `now` is in (0 without refill). */
  periodStart: number;
  /** When the next refill happens (Infinity without refill). */
  nextRefillAt: number;
}

export interface CheckRequest {
  limits: LimitCheck[];
  quotas: QuotaCheck[];
  now: number;
}

/** A limit after the check: what the answer and the RateLimit headers report. */
export interface LimitState {
  name: string;
  owner: 'key' | 'account';
  limit: number;
  /** The limit's window, in seconds (RateLimit-Policy's `w`). */
  windowSeconds: number;
  remaining: number;
  /** Milliseconds until the limit is whole again. */
  resetMs: number;
}

export interface QuotaState {
  owner: 'key' | 'account';
  remaining: number;
  /** When the credits are next refilled; null without refill. */
  refillAt: number | null;
}

/** What a verification reports of the limits it applied. */
export interface LimitReport {
  limits: LimitState[];
  quotas: QuotaState[];
  /** Set when rate limited: how long until the request would fit. */
  retryAfterMs: number | null;
}

export function reportOf(o: CheckOutcome): LimitReport {
  return { limits: o.limits, quotas: o.quotas, retryAfterMs: o.allowed || o.code !== 'RATE_LIMITED' ? null : o.retryAfterMs };
}

/**
 * What a signed device request's account limits decided (src/service/limits.ts `DeviceLimits`):
 * null when the account has no limit or quota (nothing was checked, nothing is reported).
 */
export type DeviceLimitDecision =
  | null
  | { allowed: true; report: LimitReport }
  | { allowed: false; code: 'RATE_LIMITED' | 'USAGE_EXCEEDED'; report: LimitReport };

/** The engine's verdict for one request. Denied requests consume nothing, on any counter. */
export type CheckOutcome =
  | { allowed: true; limits: LimitState[]; quotas: QuotaState[] }
  | { allowed: false; code: 'RATE_LIMITED'; retryAfterMs: number; limits: LimitState[]; quotas: QuotaState[] }
  | { allowed: false; code: 'USAGE_EXCEEDED'; limits: LimitState[]; quotas: QuotaState[] };

/** What `gcra` decides for one limit. */
export interface GcraResult {
  allowed: boolean;
  /** The counter's new theoretical arrival time (stored only when every limit of the request allows). */
  newMs: number;
  newFrac: number;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
}

/**
 * GCRA for one limit, in exact integer arithmetic: the counter stores the theoretical arrival
 * time (TAT) as whole epoch ms `tatMs` plus `tatFrac` 1/`den` ms (0 ≤ tatFrac < den; a counter
 * never used is 0, 0). A request of `cost` fits when the new TAT runs at most the tolerance
 * (burst × interval) ahead of now. `now` is whole ms. Every quantity stays an integer below 2⁵³
 * (epoch ms ~1.8·10¹², fractions < den ≤ 10⁹), so nothing is rounded: at 10⁶ requests a second
 * each request moves the TAT by exactly 1 µs, where an absolute double in ms has a resolution of
 * 0.24 µs. The Redis Lua script is this function line for line.
 */
export function gcra(tatMs: number, tatFrac: number, c: LimitCheck, now: number): GcraResult {
  const den = c.den;
  // base = max(TAT, now)
  let bMs = tatMs;
  let bFrac = tatFrac;
  if (tatMs < now) {
    bMs = now;
    bFrac = 0;
  }
  // new TAT = base + cost × interval
  let nMs = bMs + c.stepMs;
  let nFrac = bFrac + c.stepFrac;
  if (nFrac >= den) {
    nFrac -= den;
    nMs += 1;
  }
  // allowed when new − now ≤ tolerance (whole ms first, then the fractions)
  const aheadMs = nMs - now;
  const allowed = aheadMs < c.tolMs || (aheadMs === c.tolMs && nFrac <= c.tolFrac);
  // held: how far ahead of now the counter is after this request (or stays, when refused)
  const hMs = allowed ? aheadMs : bMs - now;
  const hFrac = allowed ? nFrac : bFrac;
  // remaining = floor((tolerance − held) / interval), in 1/den ms: interval is windowMs of them
  const left = (c.tolMs - hMs) * den + (c.tolFrac - hFrac);
  const remaining = left <= 0 ? 0 : Math.floor(left / (c.windowSeconds * 1000));
  let retryAfterMs = 0;
  if (!allowed) {
    // ceil(new − now − tolerance)
    let dMs = aheadMs - c.tolMs;
    let dFrac = nFrac - c.tolFrac;
    if (dFrac < 0) {
      dFrac += den;
      dMs -= 1;
    }
    retryAfterMs = dMs + (dFrac > 0 ? 1 : 0);
  }
  return { allowed, newMs: nMs, newFrac: nFrac, remaining, resetMs: hMs + (hFrac > 0 ? 1 : 0), retryAfterMs };
}

/** `a × b` split into whole `den`ths and the rest, exactly (BigInt: burst × window may pass 2⁵³); once per limit check. */
function divide(a: number, b: number, den: number): [number, number] {
  const p = BigInt(a) * BigInt(b);
  const d = BigInt(den);
  return [Number(p / d), Number(p % d)];
}

/** Start of the refill period containing `now` (UTC), and the start of the next one. */
export function refillPeriod(interval: RefillInterval, now: number): { start: number; next: number } {
  const d = new Date(now);
  if (interval === 'daily') {
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return { start, next: start + 86_400_000 };
  }
  return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), next: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

/** A stored counter brought to `now`: refilled lazily when a refill period began since its last one. */
export function refilled(
  stored: { remaining: number; periodStart: number },
  q: Pick<QuotaCheck, 'refill' | 'periodStart'>,
): { remaining: number; periodStart: number } {
  if (q.refill !== null && stored.periodStart < q.periodStart) return { remaining: q.refill.amount, periodStart: q.periodStart };
  return stored;
}

/** Everything that limits one key: its own limits and quota, and its account's (own, else the plan's). */
export interface KeyLimits {
  keyId: string;
  accountId: string;
  key: { ratelimits: RateLimitSpec[]; quota: QuotaSpec | null };
  account: { ratelimits: RateLimitSpec[]; quota: QuotaSpec | null; plan: string | null };
}

/** One named limit a verification asks for, with its cost. */
export interface LimitAsk {
  name: string;
  cost?: number | undefined;
}

export function toCheck(spec: RateLimitSpec, owner: 'key' | 'account', ownerId: string, cost: number): LimitCheck {
  const windowMs = WINDOW_MS[spec.window];
  const intervalMs = windowMs / spec.limit;
  const burst = spec.burst ?? spec.limit;
  const [stepMs, stepFrac] = divide(cost, windowMs, spec.limit);
  const [tolMs, tolFrac] = divide(burst, windowMs, spec.limit);
  return {
    // The parameters are part of the counter: a changed limit starts counting afresh instead of reading an old one's state.
    counter: `${owner === 'key' ? 'k' : 'a'}:${ownerId}:${spec.name}:${spec.limit}/${spec.window}/${burst}`,
    name: spec.name,
    owner,
    limit: spec.limit,
    windowSeconds: WINDOW_MS[spec.window] / 1000,
    intervalMs,
    toleranceMs: burst * intervalMs,
    cost,
    den: spec.limit,
    stepMs,
    stepFrac,
    tolMs,
    tolFrac,
  };
}

/**
 * The checks one request makes: every limit of the key and of its account at cost 1, or only
 * the named ones (`asks`) at their cost; the account's own limits replace the plan's of the same
 * name. Quotas are spent `credits` (default 1) each. `share` divides each limit among nodes that
 * cannot share counters (KEYWARD_RATELIMIT_NODES without Redis).
 */
export function checksFor(
  l: KeyLimits,
  plans: ReadonlyMap<string, PlanDef>,
  opts: { asks?: readonly LimitAsk[] | undefined; credits?: number | undefined; now: number; share?: number },
): CheckRequest {
  return {
    limits: limitChecksFor(l, plans, opts.asks, opts.share ?? 1),
    quotas: quotaChecksFor(l, opts.credits ?? 1, opts.now),
    now: opts.now,
  };
}

/**
 * The rate-limit half of `checksFor`. It does not depend on the clock, so for the same key
 * record, plans and share it is the same list every time: callers may keep it (the engines
 * only read it).
 */
export function limitChecksFor(
  l: KeyLimits,
  plans: ReadonlyMap<string, PlanDef>,
  asks: readonly LimitAsk[] | undefined,
  share: number,
): LimitCheck[] {
  const limits: LimitCheck[] = [];
  const plan = l.account.plan === null ? undefined : plans.get(l.account.plan);
  if (asks === undefined && (plan === undefined || plan.ratelimits.length === 0)) {
    // The usual case: every limit of the key and the account's own, at cost 1, nothing to merge.
    for (const s of l.key.ratelimits) limits.push(toCheck(scaled(s, share), 'key', l.keyId, 1));
    for (const s of l.account.ratelimits) limits.push(toCheck(scaled(s, share), 'account', l.accountId, 1));
    return limits;
  }
  const accountLimits = new Map<string, RateLimitSpec>();
  for (const spec of plan?.ratelimits ?? []) accountLimits.set(spec.name, spec);
  for (const spec of l.account.ratelimits) accountLimits.set(spec.name, spec);
  if (asks === undefined) {
    for (const s of l.key.ratelimits) limits.push(toCheck(scaled(s, share), 'key', l.keyId, 1));
    for (const s of accountLimits.values()) limits.push(toCheck(scaled(s, share), 'account', l.accountId, 1));
  } else {
    for (const ask of asks) {
      const cost = ask.cost ?? 1;
      const own = l.key.ratelimits.find((s) => s.name === ask.name);
      if (own) limits.push(toCheck(scaled(own, share), 'key', l.keyId, cost));
      const shared = accountLimits.get(ask.name);
      if (shared) limits.push(toCheck(scaled(shared, share), 'account', l.accountId, cost));
    }
  }
  return limits;
}

function scaled(s: RateLimitSpec, share: number): RateLimitSpec {
  return share <= 1
    ? s
    : { ...s, limit: Math.max(1, Math.floor(s.limit / share)), burst: Math.max(1, Math.floor((s.burst ?? s.limit) / share)) };
}

const NO_QUOTAS: readonly QuotaCheck[] = Object.freeze([]);

/** The quota half of `checksFor`: each quota of the key and its account, spending `credits`, in the refill period of `now`. */
export function quotaChecksFor(l: KeyLimits, credits: number, now: number): QuotaCheck[] {
  if (l.key.quota === null && l.account.quota === null) return NO_QUOTAS as QuotaCheck[];
  const quotas: QuotaCheck[] = [];
  if (l.key.quota !== null) quotas.push(quotaCheck(l.key.quota, 'key', l.keyId, credits, now));
  if (l.account.quota !== null) quotas.push(quotaCheck(l.account.quota, 'account', l.accountId, credits, now));
  return quotas;
}

function quotaCheck(spec: QuotaSpec, owner: 'key' | 'account', ownerId: string, credits: number, now: number): QuotaCheck {
  const period = spec.refill === null ? { start: 0, next: Number.POSITIVE_INFINITY } : refillPeriod(spec.refill.interval, now);
  return {
    ownerId,
    owner,
    generation: spec.generation,
    cost: credits,
    refill: spec.refill,
    periodStart: period.start,
    nextRefillAt: period.next,
  };
}
