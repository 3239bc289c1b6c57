/**
 * Remembers accepted (device, signature) pairs until their timestamp leaves the window,
 * so a captured request cannot be played again. An interface so a shared (Redis) store can
 * replace the in-memory one when several nodes verify.
 */
export interface ReplayGuard {
  /**
   * Records the pair; false when it was already recorded and has not expired. `expiresAt` is the
   * last instant (epoch ms) at which the pair could still be accepted: a recorded pair is refused
   * while `now <= expiresAt`, the boundary included.
   */
  claim(deviceId: string, signature: string, expiresAt: number, now: number): Promise<boolean>;
}

/** Width of the expiry buckets: pairs expiring within the same second are forgotten together. */
const BUCKET_MS = 1000;

/**
 * In-process guard, bounded. Pairs are held in one Map (pair → expiry) for the lookup, and their
 * keys filed in one-second buckets by expiry, so expired pairs are forgotten a whole second at a
 * time, in expiry order, whatever order they arrived in: no timer per pair and no sorted
 * structure, O(1) amortized per claim. A pair is refused up to and including its expiry
 * instant, exactly (the bucket only decides when memory is reclaimed, never the answer).
 *
 * Beyond `maxEntries` the pairs of the oldest bucket go first: they are the closest to expiring.
 * The bound is a memory ceiling, sized far above normal traffic; reaching it means a pair dropped
 * early could be replayed until its own expiry.
 */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly pairs = new Map<string, number>();
  private readonly buckets = new Map<number, string[]>();
  /** Every bucket below this one has been swept (or never held anything). */
  private next = Number.NEGATIVE_INFINITY;

  constructor(private readonly maxEntries = 100_000) {}

  get size(): number {
    return this.pairs.size;
  }

  async claim(deviceId: string, signature: string, expiresAt: number, now: number): Promise<boolean> {
    return this.claimNow(deviceId, signature, expiresAt, now);
  }

  /** `claim`, answered synchronously (the in-process decision needs no promise). */
  claimNow(deviceId: string, signature: string, expiresAt: number, now: number): boolean {
    this.sweep(now);
    const k = `${deviceId}/${signature}`;
    const existing = this.pairs.get(k);
    if (existing !== undefined && existing >= now) return false;
    if (existing === undefined) while (this.pairs.size >= this.maxEntries && this.dropOldestBucket());
    this.pairs.set(k, expiresAt);
    // A pair already expired on arrival goes to the next bucket swept, never to one already swept.
    const b = Math.max(Math.floor(expiresAt / BUCKET_MS), this.next);
    const bucket = this.buckets.get(b);
    if (bucket === undefined) this.buckets.set(b, [k]);
    else bucket.push(k);
    return true;
  }

  /** Forgets the pairs of every bucket wholly in the past (each expiry < now). */
  private sweep(now: number): void {
    const current = Math.floor(now / BUCKET_MS);
    if (this.next >= current) return;
    if (this.buckets.size === 0) {
      this.next = current;
      return;
    }
    if (current - this.next > this.buckets.size) {
      // A long pause (or the first claim): visit the buckets held rather than every second since.
      for (const b of [...this.buckets.keys()]) if (b < current) this.forget(b, now);
    } else {
      for (let b = this.next; b < current; b++) this.forget(b, now);
    }
    this.next = current;
  }

  /** Drops bucket `b`, forgetting its pairs that expired before `before` (a pair claimed again since sits in a later bucket too). */
  private forget(b: number, before: number): void {
    const keys = this.buckets.get(b);
    if (keys === undefined) return;
    this.buckets.delete(b);
    for (const k of keys) {
      const exp = this.pairs.get(k);
      if (exp !== undefined && exp < before) this.pairs.delete(k);
    }
  }

  /** At the bound: forgets the whole oldest bucket. False when there is none. */
  private dropOldestBucket(): boolean {
    if (this.buckets.size === 0) return false;
    let oldest = Number.POSITIVE_INFINITY;
    for (const b of this.buckets.keys()) if (b < oldest) oldest = b;
    this.forget(oldest, (oldest + 1) * BUCKET_MS);
    return true;
  }
}
