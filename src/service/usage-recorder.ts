import { PeriodicFlush, type FlushLogger as UsageLogger } from '../core/periodic-flush.js';
import { applyUsage, type KeyUsageDelta } from '../store/repos/usage.js';
import type { Store } from '../store/store.js';

export const HOUR_MS = 3_600_000;

/** Keys per transaction of a usage flush: each commit writes at most this many keys' pages. */
export const KEYS_PER_TRANSACTION = 256;

export type { FlushLogger as UsageLogger } from '../core/periodic-flush.js';

interface Pending {
  count: number;
  /** The latest use; 0 while only refusals are buffered (a refusal is not a use). */
  lastUsedAt: number;
  buckets: Map<number, number>;
  /** Refusals by a rate limit or quota per hour, allocated on the first one. */
  rejected: Map<number, number> | null;
}

/**
 * Last-used time and usage counts, kept in memory on every successful verification and
 * written every second and on close (a few hundred keys per transaction), so verifying a key
 * never waits on a database write. A failed flush puts its uses back for the next one, so
 * a database outage delays the counts but loses none (short of a crash during it); pending
 * counts stay bounded by the number of keys used times the hours the outage lasts.
 */
export class UsageRecorder {
  private pending = new Map<string, Pending>();
  /** The batch a flush is writing right now: still "not yet written" until its transaction commits. */
  private writing = new Map<string, Pending>();
  private readonly flusher: PeriodicFlush;
  /** Flushes that failed (their uses were kept for the next one), for metrics. */
  flushFailures = 0;

  constructor(
    private readonly store: Store,
    intervalMs = 1000,
    /** Keys written per transaction of a flush (see write()). */
    private readonly keysPerTransaction = KEYS_PER_TRANSACTION,
  ) {
    this.flusher = new PeriodicFlush(() => this.write(), intervalMs, {
      failed: 'usage flush failed: counts kept in memory and retried every interval',
      recovered: 'usage flush succeeded again: delayed counts written',
      backlog: () => ({ pendingKeys: this.pending.size }),
    });
  }

  record(keyId: string, at: number): void {
    let p = this.pending.get(keyId);
    if (!p) {
      p = { count: 0, lastUsedAt: at, buckets: new Map(), rejected: null };
      this.pending.set(keyId, p);
    }
    p.count += 1;
    if (at > p.lastUsedAt) p.lastUsedAt = at;
    const bucket = Math.floor(at / HOUR_MS) * HOUR_MS;
    p.buckets.set(bucket, (p.buckets.get(bucket) ?? 0) + 1);
  }

  /** Counts a verification a rate limit or quota refused (RATE_LIMITED, USAGE_EXCEEDED): not a use. */
  recordRejected(keyId: string, at: number): void {
    let p = this.pending.get(keyId);
    if (!p) {
      p = { count: 0, lastUsedAt: 0, buckets: new Map(), rejected: null };
      this.pending.set(keyId, p);
    }
    p.rejected ??= new Map();
    const bucket = Math.floor(at / HOUR_MS) * HOUR_MS;
    p.rejected.set(bucket, (p.rejected.get(bucket) ?? 0) + 1);
  }

  /** Keys with uses not yet written: the backlog of the next flush. */
  get pendingKeys(): number {
    return this.pending.size;
  }

  /** The latest use not yet written, so decisions need not wait for a flush. */
  pendingLastUsed(keyId: string): number | null {
    const buffered = this.pending.get(keyId)?.lastUsedAt || undefined;
    const inFlight = this.writing.get(keyId)?.lastUsedAt || undefined;
    if (buffered === undefined) return inFlight ?? null;
    return inFlight === undefined ? buffered : Math.max(buffered, inFlight);
  }

  /** Drops buffered uses of a key that no longer exists. */
  forget(keyId: string): void {
    this.pending.delete(keyId);
    this.writing.delete(keyId);
  }

  /** Writes everything buffered so far; concurrent calls run one after another. */
  flush(): Promise<void> {
    return this.flusher.run();
  }

  /** Writes every interval; a failed periodic flush keeps its uses for the next attempt (see write()). */
  start(log?: UsageLogger): void {
    this.flusher.start(log);
  }

  /** Stops the timer and writes what is left: a clean shutdown loses no use. */
  async close(): Promise<void> {
    await this.flusher.stop();
  }

  /**
   * Writes the buffered uses `keysPerTransaction` keys per transaction, letting the event loop
   * run between them. With many distinct keys in use (issue #15: every request a new key) one
   * flush holds thousands of keys, each a random row of `access_keys` and of `key_usage`: as one
   * transaction its COMMIT wrote every dirtied page to the WAL in one synchronous call (26 MB for
   * 10k keys of a 100k-key file), and SQLite's automatic checkpoint copied them back right after,
   * stalling every request for tens of milliseconds. Several smaller commits spread that work.
   *
   * Durability is unchanged: a kill -9 during a flush loses at most uses of the last interval
   * (the transactions not yet committed), and a failed transaction puts back only the uses it
   * did not write, so nothing is counted twice.
   */
  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    // Until the transaction commits, a use being written must still count as recent
    // (pendingLastUsed): the store does not show it yet, and this buffer no longer holds it.
    this.writing = batch;
    const deltas: KeyUsageDelta[] = [...batch].map(([keyId, p]) => ({ keyId, ...p }));
    let written = 0;
    try {
      while (written < deltas.length) {
        if (written > 0) await new Promise((resolve) => setImmediate(resolve));
        const part = deltas.slice(written, written + this.keysPerTransaction);
        await this.store.transaction((tx) => applyUsage(tx, part, this.store.writeNow));
        written += part.length;
      }
    } catch (e) {
      this.flushFailures++;
      // Only what no committed transaction wrote goes back: the rest is in the store.
      for (const d of deltas.slice(written)) {
        const p = batch.get(d.keyId);
        if (p !== undefined) this.merge(d.keyId, p);
      }
      throw e;
    } finally {
      this.writing = new Map();
    }
  }

  private merge(keyId: string, from: Pending): void {
    const into = this.pending.get(keyId);
    if (!into) {
      this.pending.set(keyId, from);
      return;
    }
    into.count += from.count;
    into.lastUsedAt = Math.max(into.lastUsedAt, from.lastUsedAt);
    for (const [b, n] of from.buckets) into.buckets.set(b, (into.buckets.get(b) ?? 0) + n);
    if (from.rejected === null) return;
    into.rejected ??= new Map();
    for (const [b, n] of from.rejected) into.rejected.set(b, (into.rejected.get(b) ?? 0) + n);
  }
}
