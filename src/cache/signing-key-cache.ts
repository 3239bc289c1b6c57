import type { Change } from '../core/changes.js';
import { SIGN_DATE_VALIDITY_MS } from '../core/ctn1.js';
import { type SecondChance, secondChanceVictim } from './second-chance.js';
import { addTo, removeFrom } from './set-index.js';

/**
 * The devices a change touches in a cache of device records indexed by account: the one device, or
 * the account's (shared-secret reset), possibly none held; null for keys, applications and users (not
 * part of a device's signing record); 'all' for a kind of change not known here (always safe). One rule for the device
 * cache and the signing keys it holds.
 */
export function devicesChangedBy(change: Change, byAccount: ReadonlyMap<string, Set<string>>): readonly string[] | null | 'all' {
  switch (change.type) {
    case 'device':
      return [change.deviceId];
    case 'account':
      return [...(byAccount.get(change.accountId) ?? [])];
    case 'key':
    case 'application':
    case 'user':
      return null;
    default:
      return 'all';
  }
}

/** signDates usable at one instant are at most 8 (7 days plus the timestamp window across midnight). */
const MAX_DAYS_PER_DEVICE = 8;

export interface SigningKeyCacheOptions {
  /** Devices kept (second-chance eviction, close to LRU); 0 disables the cache. */
  maxEntries: number;
}

/** What a derived key was derived from: a key serves only a record that still names the same sealed secret. */
export interface SigningKeySource {
  deviceId: string;
  accountId: string;
  /** `own` or `shared`: which AAD the secret was opened with. */
  secretSource: string;
  /** The sealed secret the key was derived from: a reset seals a new one (fresh IV), so a new string. */
  sealed: string;
}

interface DayKey {
  signDate: string;
  /** Epoch ms after which the signDate is refused (its midnight + 7 days). */
  usableUntil: number;
  key: Buffer;
}

interface Entry extends SecondChance {
  accountId: string;
  secretSource: string;
  sealed: string;
  days: DayKey[];
}

/**
 * The CTN1 per-day signing keys (HMAC(HMAC("CTN1" + secret, signDate), "ctn1_request")) of
 * recently seen devices, so a signed request costs one HMAC instead of opening the sealed secret
 * (AES-256-GCM) and deriving two keys. The opened secret itself is never kept: only the derived
 * key, which CTN1 scopes to one signDate (as AWS SigV4 signers cache theirs), is held for at most
 * the signDate's validity.
 *
 * Kept in step with the device cache (src/cache/device-cache.ts), which forwards its invalidations
 * here: a device change (secret reset, disable, delete) drops that device's keys, an account change
 * (shared-secret reset) drops those of every device of the account, synchronously, before the
 * changing call returns. A key derived from a record read before such a change is not stored
 * (`epoch`, taken before the read). And a key only serves a record naming the very sealed secret
 * (and secret source) it was derived from, so even a change this node never heard of cannot make
 * it answer for another secret.
 */
export class SigningKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byAccount = new Map<string, Set<string>>();
  private epochCounter = 0;
  private readonly counters = { hits: 0, misses: 0, stored: 0, evictions: 0, invalidations: 0 };

  constructor(private readonly opts: SigningKeyCacheOptions) {}

  get enabled(): boolean {
    return this.opts.maxEntries > 0;
  }

  /** Take before reading the device record; pass to `store`, which refuses a key when a change came in between. */
  get epoch(): number {
    return this.epochCounter;
  }

  /** The key for this device, sealed secret and signDate, if derived before and still usable at `now`. */
  get(src: SigningKeySource, signDate: string, now: number): Buffer | undefined {
    const key = this.peek(src, signDate, now);
    if (key === undefined) this.counters.misses++;
    return key;
  }

  /** `get` without counting a miss: for a caller that goes on to `get` through the full path when it finds nothing. */
  peek(src: SigningKeySource, signDate: string, now: number): Buffer | undefined {
    const entry = this.entries.get(src.deviceId);
    if (entry !== undefined && entry.sealed === src.sealed && entry.secretSource === src.secretSource) {
      for (const day of entry.days) {
        if (day.signDate === signDate && day.usableUntil > now) {
          entry.used = true;
          this.counters.hits++;
          return day.key;
        }
      }
    }
    return undefined;
  }

  /**
   * Keeps a key derived at `now` from `src` for `signDate` (whose UTC midnight is `signDay`),
   * unless the cache changed since `epoch` was taken. Keys of signDates no longer usable go.
   */
  store(src: SigningKeySource, signDate: string, signDay: number, key: Buffer, epoch: number, now: number): void {
    if (!this.enabled || epoch !== this.epochCounter) return;
    let entry = this.entries.get(src.deviceId);
    if (
      entry !== undefined &&
      (entry.sealed !== src.sealed || entry.secretSource !== src.secretSource || entry.accountId !== src.accountId)
    ) {
      this.remove(src.deviceId);
      entry = undefined;
    }
    if (entry === undefined) {
      // Evict before inserting, so the new entry is never its own victim.
      while (this.entries.size >= this.opts.maxEntries) {
        const victim = secondChanceVictim(this.entries);
        if (victim === undefined) break;
        this.remove(victim);
        this.counters.evictions++;
      }
      entry = { accountId: src.accountId, secretSource: src.secretSource, sealed: src.sealed, days: [], used: false };
      this.entries.set(src.deviceId, entry);
      addTo(this.byAccount, src.accountId, src.deviceId);
    }
    const days: DayKey[] = [];
    for (const d of entry.days) {
      if (d.usableUntil > now && d.signDate !== signDate) days.push(d);
      else d.key.fill(0);
    }
    if (days.length >= MAX_DAYS_PER_DEVICE) days.shift()?.key.fill(0);
    days.push({ signDate, usableUntil: signDay + SIGN_DATE_VALIDITY_MS, key });
    entry.days = days;
    this.counters.stored++;
  }

  /** The device cache's invalidation, applied to the keys. */
  invalidate(change: Change): void {
    this.counters.invalidations++;
    const devices = devicesChangedBy(change, this.byAccount);
    if (devices === null) return;
    if (devices === 'all') {
      this.clear();
      return;
    }
    this.epochCounter++; // even with none held: a read in flight for one of them must not be stored
    for (const id of devices) this.remove(id);
  }

  clear(): void {
    this.epochCounter++;
    for (const entry of this.entries.values()) for (const day of entry.days) day.key.fill(0);
    this.entries.clear();
    this.byAccount.clear();
  }

  stats() {
    let keys = 0;
    for (const entry of this.entries.values()) keys += entry.days.length;
    return { ...this.counters, size: this.entries.size, keys };
  }

  private remove(deviceId: string): void {
    const entry = this.entries.get(deviceId);
    if (entry === undefined) return;
    this.entries.delete(deviceId);
    removeFrom(this.byAccount, entry.accountId, deviceId);
    // Overwrite the dropped keys rather than leave them for the collector.
    for (const day of entry.days) day.key.fill(0);
  }
}
