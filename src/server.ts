import type { FastifyServerOptions } from 'fastify';
import { RedisReplayGuard } from './auth/redis-replay-guard.js';
import { sharedLoginThrottle } from './auth/throttle-redis.js';
import { connectRedis, type SharedRedis } from './cache/redis.js';
import type { InvalidationRelay } from './cache/redis-invalidation.js';
import { startRelay } from './cache/relay.js';
import { type Config, loadConfig } from './config.js';
import { SecretBox } from './crypto/secret-box.js';
import { buildApp } from './http/app.js';
import type { App } from './http/types.js';
import { type LoadedMasterKey, loadMasterKey } from './master-key.js';
import { bootstrapOperator } from './service/bootstrap.js';
import { type Ctx, createContext } from './service/context.js';
import { countSealedSecrets } from './service/master-key.js';
import { openStore, STDERR_LOGGER, type Store, type StoreLogger } from './store/store.js';

export interface Keyward {
  ctx: Ctx;
  app: App;
  /** The cache invalidation relay (Redis, PostgreSQL or SQLite; none for `:memory:`): `listening` says whether it is up. */
  relay?: InvalidationRelay | undefined;
  /** The shared Redis command connection, when KEYWARD_REDIS_URL is set: `ready` says whether it is up. */
  redis?: SharedRedis | undefined;
  close(): Promise<void>;
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

/** Opens the store, migrates it, bootstraps the operator and builds the HTTP app (not yet listening). */
export async function createKeyward(
  config: Config = loadConfig(),
  opts: { logger?: FastifyServerOptions['logger']; onBootstrap?: (email: string, password: string | null) => void } = {},
): Promise<Keyward> {
  let app: App | undefined;
  // The store and Redis report through the app's logger, on stderr until it exists.
  const log: StoreLogger = {
    warn: (obj, msg) => (app ? app.log.warn(obj, msg) : STDERR_LOGGER.warn(obj, msg)),
    info: (obj, msg) => app?.log.info(obj, msg),
  };
  const store = openStore(config.databaseUrl, {
    statementTimeoutMs: config.dbStatementTimeoutMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    log,
  });
  let ctx: Ctx;
  let masterKey: LoadedMasterKey;
  try {
    await store.migrate();
    masterKey = await loadCheckedMasterKey(store, config);
    ctx = createContext(store, config, new SecretBox(masterKey.key));
    const boot = await bootstrapOperator(ctx);
    if (boot) opts.onBootstrap?.(boot.email, boot.generatedPassword);
    app = await buildApp(ctx, { logger: opts.logger ?? false });
  } catch (e) {
    await store.close();
    throw e;
  }
  ctx.log = app.log;
  const foreign = foreignSecretsWarning(masterKey);
  if (foreign) app.log.warn({ masterKeyId: masterKey.keyId, foreignKeyIds: masterKey.foreign.keyIds }, foreign);
  ctx.usage.start(log);
  // Never waits for Redis to be up: without it Keyward serves degraded (docs/security.md).
  const redis = config.redisUrl ? connectRedis(config.redisUrl, log) : undefined;
  if (redis) {
    ctx.replay = new RedisReplayGuard(redis, ctx.replay, log);
    ctx.loginThrottle = sharedLoginThrottle(redis.commands, (err) =>
      log.warn({ err }, err instanceof Error ? err.message : 'sign-in throttle error'),
    );
  }
  // The cache invalidation relay: Redis when configured, else the database (src/cache/relay.ts).
  const caches = [ctx.verificationCache, ctx.deviceCache].filter((c) => c !== undefined);
  const relay = await startRelay({ store, redis, changes: ctx.changes, caches, relayDownTtlMs: config.relayDownTtlMs, log });
  const started = app;
  return {
    ctx,
    app: started,
    relay,
    redis,
    async close() {
      try {
        await relay?.close();
        redis?.close();
        await started.close();
      } finally {
        try {
          // After the server stops taking requests, so no use recorded during shutdown is lost.
          await ctx.usage.close();
        } finally {
          await store.close();
        }
      }
    },
  };
}
