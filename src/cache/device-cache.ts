import type { Change } from '../core/changes.js';
import type { DeviceSigningRecord } from '../store/repos/devices.js';
import { type SecondChance, secondChanceVictim } from './second-chance.js';
import { addTo, removeFrom } from './set-index.js';
import { devicesChangedBy, SigningKeyCache } from './signing-key-cache.js';

export interface DeviceCacheOptions {
  /** The store read being cached: the device and the sealed secret it signs with. */
  load: (deviceId: string) => Promise<DeviceSigningRecord | undefined>;
  now: () => number;
  /** Entries kept (second-chance eviction, close to LRU), known and unknown devices together; 0 disables the cache. */
  maxEntries: number;
  /** Safety net for changes made by other nodes, which this node may not hear about. */
  ttlMs: number;
  /** How long an unknown device ID is remembered as unknown. */
  negativeTtlMs: number;
}

interface Entry extends SecondChance {
  /** null: no such device. */
  record: DeviceSigningRecord | null;
  expiresAt: number;
}

/**
 * Caches what signature verification reads per device (the device row and its sealed
 * secret, never the opened secret), so a signed request costs no store read. It also holds
 * the devices' derived per-day signing keys (`signingKeys`, src/cache/signing-key-cache.ts),
 * invalidated with it, so a signed request does not open the sealed secret either. Every local
 * change is published after commit and drops entries synchronously: a device change (secret
 * reset, disable, delete, creation) drops that device; an account change (shared-secret
 * reset) drops every device of the account. A read in flight when a change arrives is not
 * stored (epoch check), so a reset that has returned is never undone by a stale read.
 */
export class DeviceSigningCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byAccount = new Map<string, Set<string>>();
  private epoch = 0;
  /** While other nodes' changes may not reach this one (relay down): the longest any entry lives. */
  private ttlBound: number | undefined;
  private readonly counters = { hits: 0, misses: 0, loads: 0, evictions: 0, invalidations: 0 };

  /** The derived CTN1 per-day signing keys of the same devices: same bound, dropped by the same changes. */
  readonly signingKeys: SigningKeyCache;

  constructor(private readonly opts: DeviceCacheOptions) {
    this.signingKeys = new SigningKeyCache({ maxEntries: opts.maxEntries });
  }

  get enabled(): boolean {
    return this.opts.maxEntries > 0;
  }

  async lookup(deviceId: string): Promise<DeviceSigningRecord | undefined> {
    if (!this.enabled) return this.load(deviceId);
    const now = this.opts.now();
    const entry = this.entries.get(deviceId);
    if (entry !== undefined) {
      if (entry.expiresAt > now) {
        this.counters.hits++;
        entry.used = true;
        return entry.record ?? undefined;
      }
      this.remove(deviceId);
    }
    this.counters.misses++;
    const started = this.epoch;
    const record = await this.load(deviceId);
    if (started === this.epoch) this.store(deviceId, record, now);
    return record;
  }

  /**
   * The cached record without a store read: the record, null for a device known not to exist,
   * undefined when nothing usable is held (not cached, expired, cache disabled), counted as a hit
   * only when found (the caller then reads through `lookup`, which counts the miss).
   */
  peek(deviceId: string): DeviceSigningRecord | null | undefined {
    const entry = this.entries.get(deviceId);
    if (entry === undefined || entry.expiresAt <= this.opts.now()) return undefined;
    this.counters.hits++;
    entry.used = true;
    return entry.record;
  }

  invalidate(change: Change): void {
    this.counters.invalidations++;
    this.signingKeys.invalidate(change);
    const devices = devicesChangedBy(change, this.byAccount);
    if (devices === null) return;
    if (devices === 'all') {
      this.clear();
      return;
    }
    this.epoch++; // even with none held: a read in flight for one of them must not be stored
    for (const id of devices) this.remove(id);
  }

  clear(): void {
    this.signingKeys.clear();
    this.epoch++;
    this.entries.clear();
    this.byAccount.clear();
  }

  /** Caps how long entries live, those already held included, while the relay is down; see VerificationCache. */
  setTtlBound(ms: number | undefined): void {
    this.ttlBound = ms;
    if (ms === undefined) return;
    const until = this.opts.now() + ms;
    for (const entry of this.entries.values()) if (entry.expiresAt > until) entry.expiresAt = until;
  }

  stats() {
    return { ...this.counters, size: this.entries.size };
  }

  private load(deviceId: string): Promise<DeviceSigningRecord | undefined> {
    this.counters.loads++;
    return this.opts.load(deviceId);
  }

  private store(deviceId: string, record: DeviceSigningRecord | undefined, now: number): void {
    const full = record ? this.opts.ttlMs : this.opts.negativeTtlMs;
    const ttl = this.ttlBound === undefined ? full : Math.min(full, this.ttlBound);
    this.remove(deviceId);
    // Evict before inserting, so the new entry is never its own victim.
    while (this.entries.size >= this.opts.maxEntries) {
      const victim = secondChanceVictim(this.entries);
      if (victim === undefined) break;
      this.remove(victim);
      this.counters.evictions++;
    }
    this.entries.set(deviceId, { record: record ?? null, expiresAt: now + ttl, used: false });
    if (record) addTo(this.byAccount, record.device.accountId, deviceId);
  }

  private remove(deviceId: string): void {
    const entry = this.entries.get(deviceId);
    this.entries.delete(deviceId);
    const accountId = entry?.record?.device.accountId;
    if (accountId !== undefined) removeFrom(this.byAccount, accountId, deviceId);
  }
}
