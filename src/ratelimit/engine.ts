import type { CheckOutcome, CheckRequest } from '../core/ratelimit.js';

/**
 * Decides one request against all of its limits and quotas at once: a request denied by one
 * of them consumes none of the others. Requests and outcomes are plain data, so an engine can
 * live in another process (a primary holding the counters for its workers) behind this same
 * interface. Synchronous when the engine can decide without I/O (the hot path answers in the
 * same turn); otherwise a promise.
 *
 * Engines: `LocalEngine` (one process: exact), `RedisEngine` (every node and worker sharing
 * one Redis: exact, one round trip), chosen in src/compose.ts (docs/ratelimits.md).
 */
export interface RateLimitEngine {
  check(req: CheckRequest): CheckOutcome | Promise<CheckOutcome>;
  /** What the engine is, for /readyz and logs: `local`, `redis`, `redis-fallback-local`. */
  readonly mode: string;
}
