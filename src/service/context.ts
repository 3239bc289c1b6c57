import { LoginThrottle } from '../auth/login-throttle.js';
import { MemoryReplayGuard, type ReplayGuard } from '../auth/replay-cache.js';
import { DeviceSigningCache } from '../cache/device-cache.js';
import { VerificationCache } from '../cache/verification-cache.js';
import type { Config } from '../config.js';
import { CatalogueIndex } from '../core/catalogue.js';
import { ChangeFeed } from '../core/changes.js';
import type { Principal } from '../core/permissions.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { type DeviceSigningRecord, findDeviceForSigning } from '../store/repos/devices.js';
import { findKeyForVerification, type KeyVerificationRecord } from '../store/repos/keys.js';
import type { Store } from '../store/store.js';
import { UsageRecorder } from './usage-recorder.js';

/** Where use cases report operational trouble (never secrets); pino's `error(details, message)` fits. */
export interface ServiceLog {
  error(details: Record<string, unknown>, message: string): void;
}

/** Until the composition root hands over the app's logger (and for CLI contexts): one JSON line on stderr. */
const stderrLog: ServiceLog = {
  error: (details, message) => process.stderr.write(`${JSON.stringify({ level: 'error', msg: message, ...details })}\n`),
};

/** Everything a use case needs; built once per process (or per test). */
export interface Ctx {
  store: Store;
  config: Config;
  catalogue: CatalogueIndex;
  changes: ChangeFeed;
  now: () => number;
  /** How verification finds a key by its hash; a cache may wrap the store lookup. */
  keyLookup: (keyHash: string) => Promise<KeyVerificationRecord | undefined>;
  /** What `keyLookup` could answer without a store read: record, null (known absent) or undefined (unknown). */
  keyPeek: (keyHash: string) => KeyVerificationRecord | null | undefined;
  /** Buffered last-used times and usage counts (flushed in batches, and on close). */
  usage: UsageRecorder;
  /** Seals and opens device secrets under the master key (loaded and checked by the composition root). */
  secrets: SecretBox;
  log: ServiceLog;
  /** How signature verification finds a device and its sealed secret; a cache may wrap it. */
  deviceLookup: (deviceId: string) => Promise<DeviceSigningRecord | undefined>;
  /** Accepted device signatures, so none is accepted twice within the timestamp window. */
  replay: ReplayGuard;
  /** Slows password guessing per (email, client address); shared over Redis when configured (server.ts). */
  loginThrottle: LoginThrottle;
  /** The cache behind `keyLookup`, for stats and tests; absent when a context is built by hand. */
  verificationCache?: VerificationCache;
  /** The cache behind `deviceLookup`; absent when disabled. */
  deviceCache?: DeviceSigningCache;
}

export function createContext(store: Store, config: Config, secrets: SecretBox, now: () => number = Date.now): Ctx {
  const changes = new ChangeFeed();
  const ctx: Ctx = {
    store,
    config,
    catalogue: new CatalogueIndex(config.catalogue),
    changes,
    now,
    keyLookup: (keyHash) => findKeyForVerification(store.db, keyHash),
    keyPeek: () => undefined,
    usage: new UsageRecorder(store, config.usageFlushIntervalMs),
    secrets,
    log: stderrLog,
    deviceLookup: (deviceId) => findDeviceForSigning(store.db, deviceId),
    replay: new MemoryReplayGuard(),
    loginThrottle: new LoginThrottle(),
  };
  const cache = new VerificationCache({
    load: (keyHash) => findKeyForVerification(store.db, keyHash),
    // Read through ctx so a test that moves ctx.now moves the cache's clock with it.
    now: () => ctx.now(),
    maxEntries: config.verifyCacheSize,
    ttlMs: config.verifyCacheTtlMs,
    maxNegative: config.verifyNegativeCacheSize,
    negativeTtlMs: config.verifyNegativeCacheTtlMs,
  });
  if (cache.enabled) {
    changes.subscribe((change) => cache.invalidate(change));
    ctx.keyLookup = (keyHash) => cache.lookup(keyHash);
    ctx.keyPeek = (keyHash) => cache.peek(keyHash);
    ctx.verificationCache = cache;
  }
  const devices = new DeviceSigningCache({
    load: (deviceId) => findDeviceForSigning(store.db, deviceId),
    now: () => ctx.now(),
    maxEntries: config.verifyCacheSize,
    ttlMs: config.verifyCacheTtlMs,
    negativeTtlMs: config.verifyNegativeCacheTtlMs,
  });
  if (devices.enabled) {
    changes.subscribe((change) => devices.invalidate(change));
    ctx.deviceLookup = (deviceId) => devices.lookup(deviceId);
    ctx.deviceCache = devices;
  }
  return ctx;
}

/** Who performs an operation and from where, for authorization and the audit log. */
export interface Actor {
  principal: Principal;
  ip: string | null;
}
