import { VERIFY_CODES } from './auth/access-key.js';
import type { AuthCtx } from './auth/context.js';
import { SIGNATURE_CODES } from './auth/device-signature.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { type RemoteCaller, RemoteReplayGuard, RemoteThrottleStore } from './auth/machine-shared.js';
import { RedisReplayGuard } from './auth/redis-replay-guard.js';
import { MemoryReplayGuard } from './auth/replay-cache.js';
import { sharedLoginThrottle } from './auth/throttle-redis.js';
import type { InvalidationRelay } from './cache/bus-relay.js';
import { DeviceSigningCache } from './cache/device-cache.js';
import { connectRedis, type SharedRedis } from './cache/redis.js';
import { startRelay } from './cache/relay.js';
import { VerificationCache } from './cache/verification-cache.js';
import type { Config } from './config.js';
import { CatalogueIndex } from './core/catalogue.js';
import { ChangeFeed } from './core/changes.js';
import { SecretBox, type Secrets } from './crypto/secret-box.js';
import { type LoadedMasterKey, loadMasterKey } from './master-key.js';
import { HotMetrics } from './metrics/hot.js';
import { LocalEngine } from './ratelimit/local-engine.js';
import { QuotaLedger } from './ratelimit/quota-ledger.js';
import { RedisEngine } from './ratelimit/redis-engine.js';
import { RemoteEngine } from './ratelimit/remote-engine.js';
import type { Ctx, ServiceLog } from './service/context.js';
import { LimitEvents } from './service/limit-events.js';
import { DeviceLimits } from './service/limits.js';
import { countSealedSecrets } from './service/master-key.js';
import { UsageRecorder } from './service/usage-recorder.js';
import { findDeviceForSigning } from './store/repos/devices.js';
import { findKeyForVerification, findKeyForVerificationNow } from './store/repos/keys.js';
import { openStore, STDERR_LOGGER, type Store, type StoreLogger } from './store/store.js';
import { Dispatcher } from './webhooks/dispatcher.js';
import { TargetGuard } from './webhooks/target-guard.js';

/**
 * The composition root: the one place that builds the caches, the master key and its secret
 * box, the usage recorder, Redis and what shares it (cache invalidation relay, replay guard,
 * sign-in throttle), and wires them together. `createKeyward` (src/server.ts) and the CLI
 * (src/cli/act-as.ts) compose through it; services and credential schemes only receive what
 * it built.
 */

/** What the HTTP edge works with: the services' context and auth's, in one object. */
export type Runtime = Ctx &
  AuthCtx & {
    /** The cache behind `keyLookup`, for stats and tests; absent when disabled. */
    verificationCache?: VerificationCache;
    /** The cache behind `deviceLookup`; absent when disabled. */
    deviceCache?: DeviceSigningCache;
    /** This process's number (1..N) under `keyward serve --workers N`; absent for a single process. */
    worker?: number;
    /** What the request paths count for /metrics; absent with KEYWARD_METRICS=off (nothing is counted). */
    metrics?: HotMetrics;
    /** Signed device requests' account limits; also one of the relay's caches (account limits per account). */
    deviceLimits?: DeviceLimits;
    /** Durable quota spends (written every KEYWARD_USAGE_FLUSH_MS and on close). */
    quotaLedger: QuotaLedger;
    /** The SSRF guard every webhook URL and delivery goes through. */
    webhookGuard: TargetGuard;
    /** Delivering webhooks and scanning for expiring keys, in a serving process (connectShared). */
    dispatcher?: Dispatcher;
  };

/** Until the server hands over the app's logger (and in CLI commands): one JSON line on stderr. */
const stderrLog: ServiceLog = {
  error: (details, message) => process.stderr.write(`${JSON.stringify({ level: 'error', msg: message, ...details })}\n`),
};

/**
 * The runtime over an open store, without I/O: the clock, the catalogue, the verification and
 * device caches (invalidated by the change feed), the usage recorder, and per-node replay guard
 * and sign-in throttle (`connectShared` replaces those two with Redis-backed ones).
 */
export function createRuntime(store: Store, config: Config, secrets: Secrets, now: () => number = Date.now): Runtime {
  const changes = new ChangeFeed();
  const ledger = new QuotaLedger(store, config.usageFlushIntervalMs);
  const guard = new TargetGuard(config.webhooks.allowPrivate, config.webhooks.allowHttp);
  const ctx: Runtime = {
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
    quotaLedger: ledger,
    // Without Redis each node counts alone: with several nodes on one database, each enforces its share.
    limiter: new LocalEngine(ledger, { reseed: config.ratelimitNodes > 1 }),
    limitShare: config.ratelimitNodes,
    webhookGuard: guard,
    webhookUrls: guard,
  };
  // Signed devices have no limits of their own: their account's apply (docs/ratelimits.md).
  const limitEvents = new LimitEvents(ctx, ctx.catalogue.plans);
  const deviceLimits = new DeviceLimits(ctx, {
    ttlMs: config.verifyCacheTtlMs,
    maxEntries: config.verifyCacheSize,
    onDecision: (outcome, seen) => {
      ctx.metrics?.limitDecided(outcome.allowed, outcome.allowed ? undefined : outcome.code);
      limitEvents.observeDevice(seen.deviceId, seen.limits, seen.req, outcome);
    },
  });
  changes.subscribe((change) => deviceLimits.invalidate(change));
  ctx.deviceLimits = deviceLimits;
  ctx.limitObserver = (record, req, outcome) => {
    ctx.metrics?.limitDecided(outcome.allowed, outcome.allowed ? undefined : outcome.code);
    limitEvents.observe(record, req, outcome);
  };
  const cache = new VerificationCache({
    load: (keyHash) => findKeyForVerification(store.db, keyHash),
    loadNow: (keyHash) => findKeyForVerificationNow(store, keyHash),
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
  if (config.metrics.enabled) {
    ctx.metrics = new HotMetrics({ keyCodes: VERIFY_CODES, signatureCodes: SIGNATURE_CODES, proxy: config.upstream !== undefined });
  }
  return ctx;
}

/**
 * The master key the stored secrets need: refuses (throws) when they exist and it is missing or
 * another key; generates one only for a store without sealed secrets (src/master-key.ts).
 */
export async function loadCheckedMasterKey(store: Store, config: Config): Promise<LoadedMasterKey> {
  return loadMasterKey(config, await countSealedSecrets(store.db));
}

/** What a start with some secrets under another key should tell the operator. */
export function foreignSecretsWarning(k: LoadedMasterKey): string | null {
  if (k.foreign.count === 0) return null;
  return `${k.foreign.count} stored secret(s) are sealed under master key(s) ${k.foreign.keyIds.join(', ')}, not the loaded key ${k.keyId}: devices signing with them fail verification with SECRET_UNAVAILABLE until their secret is reset or that key is restored.`;
}

/**
 * A secret box whose master key is loaded (and checked, or generated) when a secret is first
 * sealed or opened: a CLI command that touches no secret never reads or creates a key file.
 */
function secretsOnFirstUse(load: () => SecretBox): Secrets {
  let box: SecretBox | undefined;
  const get = () => {
    box ??= load();
    return box;
  };
  return {
    get fingerprint() {
      return get().fingerprint;
    },
    seal: (plaintext, aad) => get().seal(plaintext, aad),
    open: (envelope, aad) => get().open(envelope, aad),
  };
}

export interface ComposeOptions {
  /**
   * `at-start` (a server): the master key is loaded, checked against the stored secrets (the
   * start refuses on a mismatch) or generated, before anything runs. `on-first-use` (a CLI
   * command): only when a secret is first sealed or opened.
   */
  masterKey: 'at-start' | 'on-first-use';
  /** Where the store reports losing and regaining the database; stderr by default. */
  log?: StoreLogger;
  /** Migrate the store first (default). A cluster worker does not: its primary migrated before forking it. */
  migrate?: boolean;
  /**
   * A cluster worker's channel to its primary (src/cluster/): without Redis, the replay guard and
   * the sign-in throttle are the primary's, shared by every worker of the machine.
   */
  machine?: RemoteCaller;
}

export interface Composition {
  ctx: Runtime;
  store: Store;
  /** The key loaded at start; undefined with `masterKey: 'on-first-use'`. */
  masterKey: LoadedMasterKey | undefined;
  /**
   * For a serving process: starts the periodic usage flush, the webhook dispatcher and, with
   * KEYWARD_REDIS_URL, shares what nodes must share over Redis (replay guard, sign-in throttle,
   * cache invalidation relay); without Redis, a cluster worker shares the replay guard, throttle
   * and rate limits through its primary.
   * Never waits for Redis to be up: without it Keyward serves degraded (docs/security.md), and a
   * reachable Redis is subscribed to before this resolves.
   */
  connectShared(log: StoreLogger): Promise<{ redis: SharedRedis | undefined; relay: InvalidationRelay | undefined }>;
  /** Stops the webhook dispatcher, the relay and the Redis connection (once the HTTP server has drained). */
  disconnect(): Promise<void>;
  /** Writes buffered usage, then closes the store: last, so no use recorded during shutdown is lost. */
  close(): Promise<void>;
}

/** Opens and migrates the store and builds the runtime over it. */
export async function compose(config: Config, opts: ComposeOptions): Promise<Composition> {
  const log = opts.log ?? STDERR_LOGGER;
  const store = openStore(config.databaseUrl, {
    statementTimeoutMs: config.dbStatementTimeoutMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    log,
  });
  let ctx: Runtime;
  let masterKey: LoadedMasterKey | undefined;
  try {
    if (opts.migrate !== false) await store.migrate();
    if (opts.masterKey === 'at-start') {
      const loaded = await loadCheckedMasterKey(store, config);
      masterKey = loaded;
      ctx = createRuntime(store, config, new SecretBox(loaded.key));
    } else {
      const sealed = await countSealedSecrets(store.db);
      ctx = createRuntime(
        store,
        config,
        secretsOnFirstUse(() => new SecretBox(loadMasterKey(config, sealed).key)),
      );
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  let redis: SharedRedis | undefined;
  let relay: InvalidationRelay | undefined;
  return {
    ctx,
    store,
    masterKey,
    async connectShared(log) {
      ctx.usage.start(log);
      redis = config.redisUrl ? connectRedis(config.redisUrl, log) : undefined;
      ctx.quotaLedger.start(log);
      if (redis) {
        // Counters in Redis are shared by every node: each enforces the whole limit, exactly.
        ctx.limiter = new RedisEngine({
          redis,
          prefix: 'kw:rl:',
          ledger: ctx.quotaLedger,
          fallback: new LocalEngine(ctx.quotaLedger),
          onRedisDown: config.ratelimitOnRedisDown,
          log,
        });
        ctx.limitShare = 1;
        ctx.replay = new RedisReplayGuard(redis, ctx.replay, log);
        ctx.loginThrottle = sharedLoginThrottle(redis, (err) =>
          log.warn({ err }, err instanceof Error ? err.message : 'sign-in throttle error'),
        );
      } else if (opts.machine) {
        ctx.replay = new RemoteReplayGuard(opts.machine);
        ctx.loginThrottle = new LoginThrottle(new RemoteThrottleStore(opts.machine));
        // The machine's counters are the primary's: exact across the workers (src/ratelimit/remote-engine.ts).
        ctx.limiter = new RemoteEngine(opts.machine);
      }
      // The cache invalidation relay: Redis when configured, else the database's own bus (src/cache/relay.ts).
      const caches = [ctx.verificationCache, ctx.deviceCache, config.verifyCacheSize > 0 ? ctx.deviceLimits : undefined].filter(
        (c) => c !== undefined,
      );
      relay = await startRelay({ store, redis, changes: ctx.changes, caches, relayDownTtlMs: config.relayDownTtlMs, log });
      if (config.webhooks.dispatch) {
        ctx.dispatcher = new Dispatcher(ctx, ctx.webhookGuard, log);
        ctx.dispatcher.start();
      }
      return { redis, relay };
    },
    async disconnect() {
      await ctx.dispatcher?.close();
      await relay?.close();
      redis?.close();
    },
    async close() {
      try {
        await Promise.all([ctx.usage.close(), ctx.quotaLedger.close()]);
      } finally {
        await store.close();
      }
    },
  };
}
