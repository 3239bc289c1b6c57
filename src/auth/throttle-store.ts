/** How the sign-in throttle slows one (email, address) pair; see `LoginThrottle`. */
export interface BackoffPolicy {
  /** Attempts a pair may make before each further one has to wait. */
  freeAttempts: number;
  /** The first wait; every further attempt doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A pair with no attempt for this long is forgotten. */
  forgetAfterMs: number;
}

/** The wait after a pair's `attempts`-th attempt: none for the free ones, then doubling up to the cap. */
export function backoffMs(attempts: number, p: BackoffPolicy): number {
  if (attempts < p.freeAttempts) return 0;
  return Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempts - p.freeAttempts));
}

/**
 * Where the throttle keeps its counts: in memory (one node) or in Redis (shared by every node).
 * Keys arrive already namespaced and hashed, so a store never sees an email or an address.
 */
export interface ThrottleStore {
  /**
   * Atomically: when `key` is still waiting at `now`, the milliseconds left, and nothing
   * changes; otherwise one more attempt is counted, the key waits `backoffMs(count)` from
   * now, and the answer is 0. Counting before the password is checked means a burst of
   * parallel guesses cannot all pass the check before the first failure is recorded.
   */
  attempt(key: string, now: number, policy: BackoffPolicy): Promise<number>;
  /** Forgets a key (a successful sign-in, or a mark no longer wanted). */
  reset(key: string): Promise<void>;
  /** Adds one to a counter that lives `windowMs` from its first hit (a fixed window). */
  hit(key: string, now: number, windowMs: number): Promise<void>;
  /** A counter's value and the milliseconds until its window ends (0 and 0 when absent). */
  count(key: string, now: number): Promise<{ count: number; resetInMs: number }>;
  /** Sets a flag that lives `ttlMs`. */
  mark(key: string, now: number, ttlMs: number): Promise<void>;
  marked(key: string, now: number): Promise<boolean>;
}

interface Entry {
  n: number;
  until: number;
  expiresAt: number;
}

/**
 * One node's counts, bounded: beyond `maxEntries` the least recently touched key is dropped,
 * so a spray of distinct emails costs memory, never an unbounded amount.
 */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 100_000) {}

  get size(): number {
    return this.entries.size;
  }

  async attempt(key: string, now: number, policy: BackoffPolicy): Promise<number> {
    const e = this.live(key, now) ?? { n: 0, until: 0, expiresAt: 0 };
    if (e.until > now) return e.until - now;
    e.n += 1;
    e.until = now + backoffMs(e.n, policy);
    e.expiresAt = now + policy.forgetAfterMs;
    this.put(key, e);
    return 0;
  }

  async reset(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async hit(key: string, now: number, windowMs: number): Promise<void> {
    const e = this.live(key, now) ?? { n: 0, until: 0, expiresAt: now + windowMs };
    e.n += 1;
    this.put(key, e);
  }

  async count(key: string, now: number): Promise<{ count: number; resetInMs: number }> {
    const e = this.live(key, now);
    return e ? { count: e.n, resetInMs: e.expiresAt - now } : { count: 0, resetInMs: 0 };
  }

  async mark(key: string, now: number, ttlMs: number): Promise<void> {
    this.put(key, { n: 1, until: 0, expiresAt: now + ttlMs });
  }

  async marked(key: string, now: number): Promise<boolean> {
    return this.live(key, now) !== undefined;
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private put(key: string, e: Entry): void {
    // Re-inserting moves the key to the back, so the front is always the least recently touched.
    this.entries.delete(key);
    this.entries.set(key, e);
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(k);
    }
  }
}
