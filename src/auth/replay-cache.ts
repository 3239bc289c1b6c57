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
  /**
   * `claim` answered synchronously, by a guard that can (the in-process one); absent on guards that
   * must ask another process (Redis, a cluster primary), whose claims stay asynchronous.
   */
  claimNow?(deviceId: string, signature: string, expiresAt: number, now: number): boolean;
}

/** Width of the expiry buckets: pairs expiring within the same second are forgotten together. */
const BUCKET_MS = 1000;

/**
 * In-process guard, bounded. Pairs are filed in one Set per second of expiry: a claim looks in
 * the one Set its expiry names, and a second that has passed is forgotten by dropping its Set
 * whole, in expiry order, whatever order the pairs arrived in. No timer or deletion per pair and
 * no sorted structure: O(1) per claim.
 *
 * Exact, because a pair always comes with the same expiry: the signature covers the timestamp
 * the expiry is computed from (`at + TIMESTAMP_WINDOW_MS`, src/auth/device-signature.ts). A pair
 * is refused up to and including its expiry instant; one already expired on arrival can never be
 * refused again, so it is not recorded (the verifier never claims one).
 *
 * Beyond `maxEntries` (a memory ceiling, about 150 bytes a pair) the oldest second goes first: its
 * pairs are the closest to expiring. The guard stays exact through that: it remembers the newest
 * second it dropped early, and refuses every pair expiring in or before it that it does not hold
 * (it cannot prove such a pair was not seen). So at the bound a request signed longer ago than the
 * pairs dropped is refused as REPLAYED, and never is a replay let through. Fresh signatures expire
 * after every dropped second and are unaffected unless more than `maxEntries` pairs arrive within
 * one timestamp window.
 */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly buckets = new Map<number, Set<string>>();
  private count = 0;
  /** Every bucket below this one has been dropped (or never held anything). */
  private next = Number.NEGATIVE_INFINITY;
  /** The newest second dropped at the bound: pairs expiring in or before it are refused. */
  private droppedThrough = Number.NEGATIVE_INFINITY;

  constructor(private readonly maxEntries = 1_000_000) {}

  get size(): number {
    return this.count;
  }

  async claim(deviceId: string, signature: string, expiresAt: number, now: number): Promise<boolean> {
    return this.claimNow(deviceId, signature, expiresAt, now);
  }

  /** `claim`, answered synchronously (the in-process decision needs no promise). */
  claimNow(deviceId: string, signature: string, expiresAt: number, now: number): boolean {
    if (expiresAt < now) return true;
    this.sweep(now);
    const b = Math.floor(expiresAt / BUCKET_MS);
    const k = `${deviceId}/${signature}`;
    let bucket = this.buckets.get(b);
    if (bucket?.has(k)) return false;
    if (b <= this.droppedThrough) return false;
    if (this.count >= this.maxEntries) {
      while (this.count >= this.maxEntries && this.buckets.size > 0) this.dropOldest();
      bucket = this.buckets.get(b);
    }
    if (bucket === undefined) {
      bucket = new Set();
      this.buckets.set(b, bucket);
    }
    bucket.add(k);
    this.count++;
    return true;
  }

  /** Drops every bucket wholly in the past (each expiry < now). */
  private sweep(now: number): void {
    const current = Math.floor(now / BUCKET_MS);
    if (this.next >= current) return;
    if (current - this.next > this.buckets.size) {
      // A long pause (or the first claim): visit the buckets held rather than every second since.
      for (const b of [...this.buckets.keys()]) if (b < current) this.drop(b);
    } else {
      for (let b = this.next; b < current; b++) this.drop(b);
    }
    this.next = current;
  }

  private drop(b: number): void {
    const bucket = this.buckets.get(b);
    if (bucket === undefined) return;
    this.buckets.delete(b);
    this.count -= bucket.size;
  }

  /** At the bound: drops the oldest bucket. */
  private dropOldest(): void {
    let oldest = Number.POSITIVE_INFINITY;
    for (const b of this.buckets.keys()) if (b < oldest) oldest = b;
    this.drop(oldest);
    if (oldest > this.droppedThrough) this.droppedThrough = oldest;
  }
}
