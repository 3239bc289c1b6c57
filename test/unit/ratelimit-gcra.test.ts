import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LimitCheck, type RateWindow, toCheck, WINDOW_MS, WINDOWS } from '../../src/core/ratelimit.js';
import { LocalEngine } from '../../src/ratelimit/local-engine.js';
import type { QuotaLedger } from '../../src/ratelimit/quota-ledger.js';

/**
 * Issue #12, precision at very high rates: the engines' GCRA (integer ms plus 1/limit ms, see
 * core/ratelimit.ts `gcra`) against GCRA in exact rational arithmetic (BigInt, time in 1/limit ms),
 * request by request: same decision, remaining, reset and retry-after, for rates up to 10⁶ a
 * second and every window. The old arithmetic (absolute epoch ms in a double) allowed about 2.4 %
 * too many at 10⁶ a second.
 */

/** Reference GCRA: every time in units of 1/limit ms, as BigInt, so nothing is ever rounded. */
function reference(spec: { limit: number; window: RateWindow; burst: number }) {
  const L = BigInt(spec.limit);
  const interval = BigInt(WINDOW_MS[spec.window]); // window / limit ms, in 1/limit ms
  const tolerance = BigInt(spec.burst) * interval;
  let tat = 0n;
  const ceilDiv = (a: bigint, b: bigint) => (a <= 0n ? 0n : (a + b - 1n) / b);
  return (now: number, cost: number) => {
    const n = BigInt(now) * L;
    const base = tat > n ? tat : n;
    const next = base + BigInt(cost) * interval;
    const allowed = next - n <= tolerance;
    const held = allowed ? next - n : base - n;
    if (allowed) tat = next;
    const left = tolerance - held;
    return {
      allowed,
      remaining: Number(left <= 0n ? 0n : left / interval),
      resetMs: Number(ceilDiv(held, L)),
      retryAfterMs: allowed ? 0 : Number(ceilDiv(next - n - tolerance, L)),
    };
  };
}

const ledger = {} as QuotaLedger; // no quotas here: the engine never calls it
const T0 = Date.UTC(2026, 10, 26, 9, 0, 0); // a realistic epoch: ~1.8·10¹² ms, where the old doubles lost precision

function decideAll(check: LimitCheck, arrivals: number[]) {
  const engine = new LocalEngine(ledger);
  return arrivals.map((now) => {
    const o = engine.check({ limits: [check], quotas: [], now });
    if (o instanceof Promise) throw new Error('no quotas: decided synchronously');
    const s = o.limits[0];
    return {
      allowed: o.allowed,
      remaining: s?.remaining,
      resetMs: s?.resetMs,
      retryAfterMs: o.allowed ? 0 : o.code === 'RATE_LIMITED' ? o.retryAfterMs : -1,
    };
  });
}

describe('GCRA exactness at high rates', () => {
  it('10⁶ a second, burst 1,000: 1,100 requests in the same ms → exactly 1,000; then exactly 1,000 per ms', () => {
    const check = toCheck({ name: 'hot', limit: 1_000_000, window: 'second', burst: 1000 }, 'key', 'k', 1);
    const arrivals = [...Array(1100).fill(T0), ...Array(1100).fill(T0 + 1), ...Array(1100).fill(T0 + 3)];
    const allowedAt = (t: number) => decideAll(check, arrivals).filter((d, i) => d.allowed && arrivals[i] === t).length;
    expect(allowedAt(T0)).toBe(1000);
    expect(allowedAt(T0 + 1)).toBe(1000);
    expect(allowedAt(T0 + 3)).toBe(1000); // the bucket refills 1,000 a ms, up to the burst of 1,000
  });

  it('10⁹ a second (the largest limit): still refuses beyond the burst', () => {
    const check = toCheck({ name: 'max', limit: 1_000_000_000, window: 'second', burst: 10 }, 'key', 'k', 1);
    const d = decideAll(check, Array(15).fill(T0));
    expect(d.filter((x) => x.allowed)).toHaveLength(10);
    expect(d[9]?.remaining).toBe(0);
    expect(d[14]).toMatchObject({ allowed: false, retryAfterMs: 1, resetMs: 1 });
  });

  it('property: every decision equals exact GCRA, rates up to 10⁶/s, every window, costs 1-3', () => {
    const spec = fc
      .record({
        window: fc.constantFrom(...WINDOWS),
        perSecond: fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(1_000_000, 999_999, 100_000, 333_333, 7)),
        burstFactor: fc.double({ min: 0.0001, max: 2, noNaN: true }),
      })
      .map(({ window, perSecond, burstFactor }) => {
        const limit = Math.max(1, Math.min(1_000_000_000, Math.round((perSecond * WINDOW_MS[window]) / 1000)));
        return { window, limit, burst: Math.max(1, Math.min(1_000_000_000, Math.round(limit * burstFactor))) };
      });
    const traffic = fc.array(
      fc.record({
        gap: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 100_000 })),
        cost: fc.integer({ min: 1, max: 3 }),
      }),
      {
        minLength: 1,
        maxLength: 400,
      },
    );
    fc.assert(
      fc.property(spec, traffic, fc.integer({ min: 0, max: 86_400_000 }), (s, reqs, offset) => {
        const ref = reference(s);
        const engine = new LocalEngine(ledger);
        const checks = [1, 2, 3].map((cost) => toCheck({ name: 'p', limit: s.limit, window: s.window, burst: s.burst }, 'key', 'k', cost));
        let now = T0 + offset;
        for (const r of reqs) {
          now += r.gap;
          const o = engine.check({ limits: [checks[r.cost - 1] as LimitCheck], quotas: [], now });
          if (o instanceof Promise) throw new Error('synchronous');
          const want = ref(now, r.cost);
          const got = o.limits[0];
          expect({
            allowed: o.allowed,
            remaining: got?.remaining,
            resetMs: got?.resetMs,
            retryAfterMs: o.allowed ? 0 : o.code === 'RATE_LIMITED' ? o.retryAfterMs : -1,
          }).toEqual(want);
        }
      }),
      { numRuns: 300 },
    );
  });
});
