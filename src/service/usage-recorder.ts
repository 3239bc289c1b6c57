import { PeriodicFlush, type FlushLogger as UsageLogger } from '../core/periodic-flush.js';
import { applyDeviceUsage, applyUsage, type DeviceUsageDelta, type KeyUsageDelta } from '../store/repos/usage.js';
import type { Store } from '../store/store.js';

export const HOUR_MS = 3_600_000;

/** Keys (or devices) per transaction of a usage flush: each commit writes at most this many rows' pages. */
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
 *
 * Signed device requests are counted the same way, per device (`recordDevice`,
 * `recordDeviceRejected`), and written in the same transaction into `device_usage` and the
 * device's totals (docs/devices.md).
 */
export class UsageRecorder {
  private pending = new Map<string, Pending>();
  /** The batch a flush is writing right now: still "not yet written" until its transaction commits. */
  private writing = new Map<string, Pending>();
  /** The same for signed device requests (per device id), written in the same transaction. */
  private pendingDevices = new Map<string, Pending>();
  private writingDevices = new Map<string, Pending>();
  private readonly flusher: PeriodicFlush;
  /** Flushes that failed (their uses were kept for the next one), for metrics. */
  flushFailures = 0;

  constructor(
    private readonly store: Store,
    intervalMs = 1000,
    /** Keys (or devices) written per transaction of a flush (see write()). */
    private readonly keysPerTransaction = KEYS_PER_TRANSACTION,
  ) {
    this.flusher = new PeriodicFlush(() => this.write(), intervalMs, {
      failed: 'usage flush failed: counts kept in memory and retried every interval',
      recovered: 'usage flush succeeded again: delayed counts written',
      backlog: () => ({ pendingKeys: this.pending.size, pendingDevices: this.pendingDevices.size }),
    });
  }

  record(keyId: string, at: number): void {
    use(this.pending, keyId, at);
  }

  /** Counts a verification a rate limit or quota refused (RATE_LIMITED, USAGE_EXCEEDED): not a use. */
  recordRejected(keyId: string, at: number): void {
    refusal(this.pending, keyId, at);
  }

  /** A signed device request let through (a correct signature, within its account's limits). */
  recordDevice(deviceId: string, at: number): void {
    use(this.pendingDevices, deviceId, at);
  }

  /** A signed device request its account's rate limits or quota refused: not a use. */
  recordDeviceRejected(deviceId: string, at: number): void {
    refusal(this.pendingDevices, deviceId, at);
  }

  /** Keys with uses not yet written: the backlog of the next flush. */
  get pendingKeys(): number {
    return this.pending.size;
  }

  /** Devices with requests not yet written. */
  get pendingDeviceCount(): number {
    return this.pendingDevices.size;
  }

  /** The latest use not yet written, so decisions need not wait for a flush. */
  pendingLastUsed(keyId: string): number | null {
    return latest(this.pending.get(keyId), this.writing.get(keyId));
  }

  /** The latest signed request of a device not yet written (reads show it before the flush). */
  pendingDeviceLastUsed(deviceId: string): number | null {
    return latest(this.pendingDevices.get(deviceId), this.writingDevices.get(deviceId));
  }

  /** Drops buffered uses of a key that no longer exists. */
  forget(keyId: string): void {
    this.pending.delete(keyId);
    this.writing.delete(keyId);
  }

  /** Drops buffered requests of a device that no longer exists. */
  forgetDevice(deviceId: string): void {
    this.pendingDevices.delete(deviceId);
    this.writingDevices.delete(deviceId);
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
   * Writes the buffered uses `keysPerTransaction` keys (then devices) per transaction, letting the
   * event loop run between them. With many distinct keys in use (issue #15: every request a new key)
   * one flush holds thousands of keys, each a random row of `access_keys` and of `key_usage`: as one
   * transaction its COMMIT wrote every dirtied page to the WAL in one synchronous call (26 MB for
   * 10k keys of a 100k-key file), and SQLite's automatic checkpoint copied them back right after,
   * stalling every request for tens of milliseconds. Several smaller commits spread that work.
   *
   * Durability is unchanged: a kill -9 during a flush loses at most uses of the last interval
   * (the transactions not yet committed), and a failed transaction puts back only the uses it
   * did not write, so nothing is counted twice.
   */
  private async write(): Promise<void> {
    if (this.pending.size === 0 && this.pendingDevices.size === 0) return;
    const batch = this.pending;
    const devices = this.pendingDevices;
    this.pending = new Map();
    this.pendingDevices = new Map();
    // Until the transaction commits, a use being written must still count as recent
    // (pendingLastUsed): the store does not show it yet, and this buffer no longer holds it.
    this.writing = batch;
    this.writingDevices = devices;
    const deltas: KeyUsageDelta[] = [...batch].map(([keyId, p]) => ({ keyId, ...p }));
    const deviceDeltas: DeviceUsageDelta[] = [...devices].map(([deviceId, p]) => ({ deviceId, ...p }));
    const per = this.keysPerTransaction;
    let keysWritten = 0;
    let devicesWritten = 0;
    try {
      while (keysWritten < deltas.length) {
        if (keysWritten > 0) await new Promise((resolve) => setImmediate(resolve));
        const part = deltas.slice(keysWritten, keysWritten + per);
        await this.store.transaction((tx) => applyUsage(tx, part, this.store.writeNow));
        keysWritten += part.length;
      }
      while (devicesWritten < deviceDeltas.length) {
        if (keysWritten + devicesWritten > 0) await new Promise((resolve) => setImmediate(resolve));
        const part = deviceDeltas.slice(devicesWritten, devicesWritten + per);
        await this.store.transaction((tx) => applyDeviceUsage(tx, part));
        devicesWritten += part.length;
      }
    } catch (e) {
      this.flushFailures++;
      // Only what no committed transaction wrote goes back: the rest is in the store.
      for (const d of deltas.slice(keysWritten)) {
        const p = batch.get(d.keyId);
        if (p !== undefined) merge(this.pending, d.keyId, p);
      }
      for (const d of deviceDeltas.slice(devicesWritten)) {
        const p = devices.get(d.deviceId);
        if (p !== undefined) merge(this.pendingDevices, d.deviceId, p);
      }
      throw e;
    } finally {
      this.writing = new Map();
      this.writingDevices = new Map();
    }
  }
}

function use(pending: Map<string, Pending>, id: string, at: number): void {
  let p = pending.get(id);
  if (!p) {
    p = { count: 0, lastUsedAt: at, buckets: new Map(), rejected: null };
    pending.set(id, p);
  }
  p.count += 1;
  if (at > p.lastUsedAt) p.lastUsedAt = at;
  const bucket = Math.floor(at / HOUR_MS) * HOUR_MS;
  p.buckets.set(bucket, (p.buckets.get(bucket) ?? 0) + 1);
}

function refusal(pending: Map<string, Pending>, id: string, at: number): void {
  let p = pending.get(id);
  if (!p) {
    p = { count: 0, lastUsedAt: 0, buckets: new Map(), rejected: null };
    pending.set(id, p);
  }
  p.rejected ??= new Map();
  const bucket = Math.floor(at / HOUR_MS) * HOUR_MS;
  p.rejected.set(bucket, (p.rejected.get(bucket) ?? 0) + 1);
}

function latest(buffered: Pending | undefined, inFlight: Pending | undefined): number | null {
  const a = buffered?.lastUsedAt || undefined;
  const b = inFlight?.lastUsedAt || undefined;
  if (a === undefined) return b ?? null;
  return b === undefined ? a : Math.max(a, b);
}

function merge(pending: Map<string, Pending>, id: string, from: Pending): void {
  const into = pending.get(id);
  if (!into) {
    pending.set(id, from);
    return;
  }
  into.count += from.count;
  into.lastUsedAt = Math.max(into.lastUsedAt, from.lastUsedAt);
  for (const [b, n] of from.buckets) into.buckets.set(b, (into.buckets.get(b) ?? 0) + n);
  if (from.rejected === null) return;
  into.rejected ??= new Map();
  for (const [b, n] of from.rejected) into.rejected.set(b, (into.rejected.get(b) ?? 0) + n);
}
