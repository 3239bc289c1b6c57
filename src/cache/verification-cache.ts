import type { Change } from '../core/changes.js';
import type { KeyVerificationRecord } from '../store/repos/keys.js';
import { type SecondChance, secondChanceVictim } from './second-chance.js';
import { addTo, removeFrom } from './set-index.js';

export interface VerificationCacheOptions {
  /** The store lookup being cached (one indexed read). */
  load: (keyHash: string) => Promise<KeyVerificationRecord | undefined>;
  /**
   * The same lookup answered synchronously where the store can (SQLite): the record, `null`
   * (no such key) or `undefined` (cannot now: `load` is used). A read that completes in the
   * calling turn cannot overlap a change, so it is stored without the epoch check.
   */
  loadNow?: (keyHash: string) => KeyVerificationRecord | null | undefined;
  now: () => number;
  /** Positive entries kept (second-chance eviction, close to LRU); 0 disables the whole cache. */
  maxEntries: number;
  /** Safety net for changes made by other nodes, which this node never hears about. */
  ttlMs: number;
  maxNegative: number;
  negativeTtlMs: number;
}

export interface VerificationCacheStats {
  hits: number;
  negativeHits: number;
  misses: number;
  /** Calls of the underlying store lookup: what a flood must not increase. */
  loads: number;
  evictions: number;
  invalidations: number;
  size: number;
  negativeSize: number;
}

interface Entry extends SecondChance {
  record: KeyVerificationRecord;
  expiresAt: number;
}

/**
 * Caches the key *record* by key hash, never a decision: expiry, scopes and statuses are
 * judged by `decide()` at verification time against the current clock.
 *
 * Correctness on this node: every local change is published on the ChangeFeed after its
 * commit and drops the affected entries synchronously, before the changing call returns.
 * A lookup that was already in flight when a change arrived may have read the old row, so
 * it is not stored (the epoch check) and later callers never join it (the in-flight map is
 * cleared). Other nodes' changes are bounded only by `ttlMs` unless a broker relays them.
 */
export class VerificationCache {
  private readonly positive = new Map<string, Entry>();
  private readonly negative = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<KeyVerificationRecord | undefined>>();
  private readonly byKey = new Map<string, string>();
  private readonly byApplication = new Map<string, Set<string>>();
  /** Keys a user created, and keys in applications a user created: deleting the user disables both. */
  private readonly byUser = new Map<string, Set<string>>();
  private readonly byAccount = new Map<string, Set<string>>();
  private epoch = 0;
  /** While other nodes' changes may not reach this one (relay down): the longest any entry lives. */
  private ttlBound: number | undefined;
  private readonly counters = { hits: 0, negativeHits: 0, misses: 0, loads: 0, evictions: 0, invalidations: 0 };

  constructor(private readonly opts: VerificationCacheOptions) {}

  get enabled(): boolean {
    return this.opts.maxEntries > 0;
  }

  /**
   * What the cache knows right now, without a store read: the record (a hit), `null` (a
   * negative hit: known not to exist), or `undefined` (not cached: call `lookup`).
   */
  peek(keyHash: string): KeyVerificationRecord | null | undefined {
    if (!this.enabled) return undefined;
    const now = this.opts.now();
    const entry = this.positive.get(keyHash);
    if (entry !== undefined) {
      if (entry.expiresAt > now) {
        this.counters.hits++;
        entry.used = true;
        return entry.record;
      }
      this.remove(keyHash);
    }
    const negativeUntil = this.negative.get(keyHash);
    if (negativeUntil !== undefined) {
      if (negativeUntil > now) {
        this.counters.negativeHits++;
        return null;
      }
      this.negative.delete(keyHash);
    }
    return undefined;
  }

  lookup(keyHash: string): Promise<KeyVerificationRecord | undefined> {
    if (!this.enabled) return this.load(keyHash);
    const known = this.peek(keyHash);
    if (known !== undefined) return Promise.resolve(known ?? undefined);
    this.counters.misses++;
    const pending = this.inflight.get(keyHash);
    if (pending !== undefined) return pending;
    const now = this.opts.loadNow?.(keyHash);
    if (now !== undefined) {
      this.counters.loads++;
      const record = now ?? undefined;
      this.store(keyHash, record);
      return Promise.resolve(record);
    }
    const started = this.epoch;
    const p = this.load(keyHash).then(
      (record) => {
        if (this.inflight.get(keyHash) === p) this.inflight.delete(keyHash);
        if (started === this.epoch) this.store(keyHash, record);
        return record;
      },
      (error: unknown) => {
        if (this.inflight.get(keyHash) === p) this.inflight.delete(keyHash);
        throw error;
      },
    );
    this.inflight.set(keyHash, p);
    return p;
  }

  /** Drops whatever a committed change may have made stale. Synchronous by design. */
  invalidate(change: Change): void {
    this.epoch++;
    this.counters.invalidations++;
    this.inflight.clear();
    switch (change.type) {
      case 'key': {
        const hash = this.byKey.get(change.keyId);
        if (hash !== undefined) this.remove(hash);
        // A new key must verify at once even if its hash was looked up (and missed) before.
        if (change.keyHash !== undefined) {
          this.negative.delete(change.keyHash);
          this.remove(change.keyHash);
        }
        break;
      }
      case 'application':
        this.removeAll(this.byApplication.get(change.applicationId));
        break;
      case 'user':
        // Keys the user created, and every key of the applications the user created.
        this.removeAll(this.byUser.get(change.userId));
        break;
      case 'account':
        this.removeAll(this.byAccount.get(change.accountId));
        break;
      case 'device':
        // Device secrets are not part of any key record: nothing cached here can be stale.
        break;
      default:
        // A change kind this cache does not index (added later): dropping everything is always safe.
        this.clear();
    }
  }

  clear(): void {
    this.epoch++;
    this.inflight.clear();
    this.positive.clear();
    this.negative.clear();
    this.byKey.clear();
    this.byApplication.clear();
    this.byUser.clear();
    this.byAccount.clear();
  }

  /**
   * Caps how long entries live, those already held included, while the invalidation relay is
   * down (KEYWARD_RELAY_DOWN_TTL_MS); `undefined` lifts the cap for entries stored afterwards
   * (the relay clears the cache when it is back). Costs nothing on lookups.
   */
  setTtlBound(ms: number | undefined): void {
    this.ttlBound = ms;
    if (ms === undefined) return;
    const until = this.opts.now() + ms;
    for (const entry of this.positive.values()) if (entry.expiresAt > until) entry.expiresAt = until;
    for (const [hash, expiresAt] of this.negative) if (expiresAt > until) this.negative.set(hash, until);
  }

  stats(): VerificationCacheStats {
    return { ...this.counters, size: this.positive.size, negativeSize: this.negative.size };
  }

  private load(keyHash: string): Promise<KeyVerificationRecord | undefined> {
    this.counters.loads++;
    return this.opts.load(keyHash);
  }

  private store(keyHash: string, record: KeyVerificationRecord | undefined): void {
    const now = this.opts.now();
    if (record === undefined) {
      if (this.opts.maxNegative <= 0) return;
      if (this.negative.size >= this.opts.maxNegative) {
        const oldest = this.negative.keys().next().value;
        if (oldest !== undefined) this.negative.delete(oldest);
      }
      this.negative.set(keyHash, now + this.ttl(this.opts.negativeTtlMs));
      return;
    }
    this.remove(keyHash);
    if (this.positive.size >= this.opts.maxEntries) {
      const victim = secondChanceVictim(this.positive);
      if (victim !== undefined) {
        this.remove(victim);
        this.counters.evictions++;
      }
    }
    // Shared between concurrent callers: freeze so no caller can alter what the next one sees.
    Object.freeze(record.key.scopes);
    Object.freeze(record.key.roles);
    Object.freeze(record.key);
    Object.freeze(record);
    const { key } = record;
    this.positive.set(keyHash, { record, expiresAt: now + this.ttl(this.opts.ttlMs), used: false });
    this.byKey.set(key.id, keyHash);
    if (key.applicationId !== null) addTo(this.byApplication, key.applicationId, keyHash);
    addTo(this.byUser, key.createdBy, keyHash);
    if (record.applicationCreatedBy !== null) addTo(this.byUser, record.applicationCreatedBy, keyHash);
    addTo(this.byAccount, key.accountId, keyHash);
  }

  private ttl(ms: number): number {
    return this.ttlBound === undefined ? ms : Math.min(ms, this.ttlBound);
  }

  private removeAll(hashes: Set<string> | undefined): void {
    if (hashes === undefined) return;
    for (const h of [...hashes]) this.remove(h);
  }

  private remove(keyHash: string): void {
    const entry = this.positive.get(keyHash);
    if (entry === undefined) return;
    this.positive.delete(keyHash);
    const { key } = entry.record;
    if (this.byKey.get(key.id) === keyHash) this.byKey.delete(key.id);
    if (key.applicationId !== null) removeFrom(this.byApplication, key.applicationId, keyHash);
    removeFrom(this.byUser, key.createdBy, keyHash);
    if (entry.record.applicationCreatedBy !== null) removeFrom(this.byUser, entry.record.applicationCreatedBy, keyHash);
    removeFrom(this.byAccount, key.accountId, keyHash);
  }
}
