import type { DeviceSigningCache } from '../cache/device-cache.js';
import type { Config } from '../config.js';
import type { CatalogueIndex } from '../core/catalogue.js';
import type { CheckOutcome, CheckRequest, DeviceLimitDecision } from '../core/ratelimit.js';
import type { Secrets } from '../crypto/secret-box.js';
import type { RateLimitEngine } from '../ratelimit/engine.js';
import type { DeviceSigningRecord } from '../store/repos/devices.js';
import type { KeyVerificationRecord } from '../store/repos/keys.js';
import type { Store } from '../store/store.js';
import type { LoginThrottle } from './login-throttle.js';
import type { ReplayGuard } from './replay-cache.js';

/**
 * What the credential schemes need: access keys, dashboard sessions, device signatures and the
 * gateway credential. The composition root (src/compose.ts) builds one object that is both
 * this and the services' `Ctx`, so a test moving `now` moves it for both.
 */
export interface AuthCtx {
  store: Store;
  config: Pick<Config, 'sessionTtlMs'>;
  catalogue: CatalogueIndex;
  now: () => number;
  /** How verification finds a key by its hash; a cache may wrap the store lookup. */
  keyLookup: (keyHash: string) => Promise<KeyVerificationRecord | undefined>;
  /** What `keyLookup` could answer without a store read: record, null (known absent) or undefined (unknown). */
  keyPeek: (keyHash: string) => KeyVerificationRecord | null | undefined;
  /** How signature verification finds a device and its sealed secret; a cache may wrap it. */
  deviceLookup: (deviceId: string) => Promise<DeviceSigningRecord | undefined>;
  /** The cache behind `deviceLookup`, told when a device's last use is written; absent when disabled. */
  deviceCache?: DeviceSigningCache;
  /** Accepted device signatures, so none is accepted twice within the timestamp window. */
  replay: ReplayGuard;
  /** Slows password guessing per (email, client address); shared over Redis when configured. */
  loginThrottle: LoginThrottle;
  /** Opens device secrets under the master key. */
  secrets: Pick<Secrets, 'open' | 'fingerprint'>;
  /** Where a credential scheme reports operational trouble (never a secret). */
  log: { error(details: Record<string, unknown>, message: string): void };
  /** Decides rate limits and quotas (src/ratelimit/): in process, or in Redis shared by every node. */
  limiter: RateLimitEngine;
  /**
   * How many nodes divide each limit among themselves: 1 unless several nodes share a database
   * without Redis (KEYWARD_RATELIMIT_NODES), where each node enforces its share.
   */
  limitShare: number;
  /**
   * Told every limit decision of a limited key (the composition root wires the lifecycle events:
   * ratelimit.exceeded, usage.threshold). Called synchronously on the request path: it must only
   * look, and do any I/O in the background.
   */
  limitObserver?: (record: KeyVerificationRecord, req: CheckRequest, outcome: CheckOutcome) => void;
  /**
   * The limits of a signed device request: its account's rate limits and quota (own and plan's),
   * decided by `limiter` on the same counters as the account's keys (src/service/limits.ts).
   * Absent: signed requests are not limited.
   */
  deviceLimits?: { check(accountId: string, deviceId: string): DeviceLimitDecision | Promise<DeviceLimitDecision> };
  /** Counts a use of a key (buffered, written in batches). */
  usage: {
    record(keyId: string, at: number): void;
    recordRejected(keyId: string, at: number): void;
    /** A signed device request let through / refused by its account's limits (a Map update each). */
    recordDevice(deviceId: string, at: number): void;
    recordDeviceRejected(deviceId: string, at: number): void;
  };
}
