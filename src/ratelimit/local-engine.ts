import {
  type CheckOutcome,
  type CheckRequest,
  type GcraResult,
  gcra,
  type LimitCheck,
  type LimitState,
  type QuotaCheck,
  type QuotaState,
  refilled,
} from '../core/ratelimit.js';
import type { QuotaLedger } from './quota-ledger.js';

/** A counter's theoretical arrival time: whole epoch ms plus 1/den ms (core/ratelimit.ts `gcra`). */
interface Tat {
  ms: number;
  frac: number;
}

interface QuotaCounter {
  generation: number;
  remaining: number;
  periodStart: number;
}

/** The quota states of a request without quotas: shared, never written to. */
const NO_QUOTA_STATES: QuotaState[] = Object.freeze([]) as unknown as QuotaState[];

/** Counters kept at most; past it, counters already back to whole (tat ≤ now) are dropped first. */
const MAX_COUNTERS = 200_000;

/**
 * Exact limits for one process: GCRA counters (one number per limit) and quota counters in
 * memory, decided synchronously, so concurrent requests are serialised by the event loop.
 * Quota counters are seeded from the store on first use (the stored remaining minus what this
 * process spent and has not written yet) and every spend goes to the ledger, which writes it.
 *
 * `reseed` (several nodes without Redis): after each ledger flush the quota counters are read
 * again, so what other nodes spent is seen within one flush interval.
 */
export class LocalEngine {
  readonly mode = 'local';
  private readonly tats = new Map<string, Tat>();
  private readonly quotas = new Map<string, QuotaCounter>();

  constructor(
    private readonly ledger: QuotaLedger,
    opts: { reseed?: boolean } = {},
  ) {
    if (opts.reseed) ledger.onFlushed(() => this.quotas.clear());
  }

  check(req: CheckRequest): CheckOutcome | Promise<CheckOutcome> {
    if (req.quotas.length === 0) return this.decide(req);
    const missing = req.quotas.filter((q) => (this.quotas.get(q.ownerId)?.generation ?? -1) < q.generation);
    if (missing.length === 0) return this.decide(req);
    return Promise.all(
      missing.map(async (q) => {
        const seed = await this.ledger.seed(q);
        // Another request may have seeded it meanwhile and spent from it: the first seed of a generation stays.
        if ((this.quotas.get(q.ownerId)?.generation ?? -1) < seed.generation) this.quotas.set(q.ownerId, seed);
      }),
    ).then(() => this.decide(req));
  }

  /** Forgets quota counters (their owner changed, or Redis is back and holds the truth again). */
  forgetQuotas(): void {
    this.quotas.clear();
  }

  private decide(req: CheckRequest): CheckOutcome {
    if (req.quotas.length === 0 && req.limits.length === 1) return this.decideOne(req.limits[0] as LimitCheck, req.now);
    const { now } = req;
    const quotaStates: QuotaState[] = [];
    const brought: QuotaCounter[] = [];
    let exhausted = false;
    for (const q of req.quotas) {
      const c = this.counterFor(q);
      brought.push(c);
      const enough = c.remaining >= q.cost;
      if (!enough) exhausted = true;
      quotaStates.push(quotaState(q, enough ? c.remaining - q.cost : c.remaining));
    }
    const results = req.limits.map((l) => {
      const tat = this.tats.get(l.counter);
      return tat === undefined ? gcra(0, 0, l, now) : gcra(tat.ms, tat.frac, l, now);
    });
    const limitStates: LimitState[] = req.limits.map((l, i) => {
      const r = results[i] as GcraResult;
      return { name: l.name, owner: l.owner, limit: l.limit, windowSeconds: l.windowSeconds, remaining: r.remaining, resetMs: r.resetMs };
    });
    if (exhausted) {
      return {
        allowed: false,
        code: 'USAGE_EXCEEDED',
        limits: limitStates,
        quotas: req.quotas.map((q, i) => quotaState(q, brought[i]?.remaining ?? 0)),
      };
    }
    const denied = results.filter((r) => !r.allowed);
    if (denied.length > 0) {
      return {
        allowed: false,
        code: 'RATE_LIMITED',
        retryAfterMs: Math.max(...denied.map((r) => r.retryAfterMs)),
        limits: limitStates,
        quotas: req.quotas.map((q, i) => quotaState(q, brought[i]?.remaining ?? 0)),
      };
    }
    // Every check passed: only now is anything consumed.
    if (this.tats.size >= MAX_COUNTERS) this.prune(now);
    req.limits.forEach((l, i) => {
      const r = results[i] as GcraResult;
      const tat = this.tats.get(l.counter);
      if (tat === undefined) this.tats.set(l.counter, { ms: r.newMs, frac: r.newFrac });
      else {
        tat.ms = r.newMs;
        tat.frac = r.newFrac;
      }
    });
    req.quotas.forEach((q, i) => {
      const c = brought[i] as QuotaCounter;
      c.remaining -= q.cost;
      this.quotas.set(q.ownerId, c);
      if (q.cost > 0) this.ledger.debit(q, c.periodStart, q.cost);
    });
    return { allowed: true, limits: limitStates, quotas: quotaStates };
  }

  /**
   * The usual limited request, one limit and no quota: the same decision as `decide`, without its
   * per-limit arrays and closures (the hot path of a key with one limit).
   */
  private decideOne(l: LimitCheck, now: number): CheckOutcome {
    const tat = this.tats.get(l.counter);
    const r = tat === undefined ? gcra(0, 0, l, now) : gcra(tat.ms, tat.frac, l, now);
    const limits: LimitState[] = [
      { name: l.name, owner: l.owner, limit: l.limit, windowSeconds: l.windowSeconds, remaining: r.remaining, resetMs: r.resetMs },
    ];
    if (!r.allowed) return { allowed: false, code: 'RATE_LIMITED', retryAfterMs: r.retryAfterMs, limits, quotas: NO_QUOTA_STATES };
    if (tat !== undefined) {
      tat.ms = r.newMs;
      tat.frac = r.newFrac;
    } else {
      if (this.tats.size >= MAX_COUNTERS) this.prune(now);
      this.tats.set(l.counter, { ms: r.newMs, frac: r.newFrac });
    }
    return { allowed: true, limits, quotas: NO_QUOTA_STATES };
  }

  /** The counter brought to this request's generation and period (a newer stored generation wins). */
  private counterFor(q: QuotaCheck): QuotaCounter {
    const stored = this.quotas.get(q.ownerId) as QuotaCounter;
    // Only when the store holds no counter of this generation (a quota set without one): nothing to spend.
    if (stored === undefined || stored.generation < q.generation)
      return { generation: q.generation, remaining: 0, periodStart: q.periodStart };
    const now = refilled(stored, q);
    return { generation: stored.generation, ...now };
  }

  private prune(now: number): void {
    for (const [counter, tat] of this.tats) if (tat.ms < now || (tat.ms === now && tat.frac === 0)) this.tats.delete(counter);
    // Still full of live counters: drop the oldest half rather than grow without bound.
    if (this.tats.size >= MAX_COUNTERS) {
      let n = this.tats.size / 2;
      for (const counter of this.tats.keys()) {
        if (n-- <= 0) break;
        this.tats.delete(counter);
      }
    }
  }
}

export function quotaState(q: QuotaCheck, remaining: number): QuotaState {
  return { owner: q.owner, remaining, refillAt: q.refill === null ? null : q.nextRefillAt };
}
