import type { FastifyServerOptions } from 'fastify';
import { startSharedLoginThrottle } from './auth/throttle-redis.js';
import { startRedisInvalidation } from './cache/redis-invalidation.js';
import { type Config, loadConfig } from './config.js';
import { SecretBox } from './crypto/secret-box.js';
import { buildApp } from './http/app.js';
import type { App } from './http/types.js';
import { type LoadedMasterKey, loadMasterKey } from './master-key.js';
import { bootstrapOperator } from './service/bootstrap.js';
import { type Ctx, createContext } from './service/context.js';
import { countSealedSecrets } from './service/master-key.js';
import { openStore, type Store } from './store/store.js';

export interface Keyward {
  ctx: Ctx;
  app: App;
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
  const store = openStore(config.databaseUrl);
  let masterKey: LoadedMasterKey;
  try {
    await store.migrate();
    masterKey = await loadCheckedMasterKey(store, config);
  } catch (e) {
    await store.close();
    throw e;
  }
  const ctx = createContext(store, config, new SecretBox(masterKey.key));
  const boot = await bootstrapOperator(ctx);
  if (boot) opts.onBootstrap?.(boot.email, boot.generatedPassword);
  const app = await buildApp(ctx, { logger: opts.logger ?? false });
  ctx.log = app.log;
  const foreign = foreignSecretsWarning(masterKey);
  if (foreign) app.log.warn({ masterKeyId: masterKey.keyId, foreignKeyIds: masterKey.foreign.keyIds }, foreign);
  ctx.usage.start();
  const caches = [ctx.verificationCache, ctx.deviceCache].filter((c) => c !== undefined);
  const relay =
    config.redisUrl && caches.length > 0
      ? await startRedisInvalidation(
          config.redisUrl,
          ctx.changes,
          {
            invalidate: (change) => {
              for (const c of caches) c.invalidate(change);
            },
            clear: () => {
              for (const c of caches) c.clear();
            },
          },
          (err) => app.log.warn({ err }, 'cache invalidation relay error'),
        )
      : undefined;
  const sharedThrottle = config.redisUrl
    ? startSharedLoginThrottle(config.redisUrl, (err) =>
        app.log.warn({ err }, err instanceof Error ? err.message : 'sign-in throttle error'),
      )
    : undefined;
  if (sharedThrottle) ctx.loginThrottle = sharedThrottle.throttle;
  return {
    ctx,
    app,
    async close() {
      try {
        await relay?.close();
        await app.close();
      } finally {
        sharedThrottle?.close();
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
