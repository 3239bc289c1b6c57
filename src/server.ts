import type { FastifyServerOptions } from 'fastify';
import { startSharedLoginThrottle } from './auth/throttle-redis.js';
import { startRedisInvalidation } from './cache/redis-invalidation.js';
import { type Config, loadConfig } from './config.js';
import { buildApp } from './http/app.js';
import type { App } from './http/types.js';
import { bootstrapOperator } from './service/bootstrap.js';
import { type Ctx, createContext } from './service/context.js';
import { openStore } from './store/store.js';

export interface Keyward {
  ctx: Ctx;
  app: App;
  close(): Promise<void>;
}

/** Opens the store, migrates it, bootstraps the operator and builds the HTTP app (not yet listening). */
export async function createKeyward(
  config: Config = loadConfig(),
  opts: { logger?: FastifyServerOptions['logger']; onBootstrap?: (email: string, password: string | null) => void } = {},
): Promise<Keyward> {
  const store = openStore(config.databaseUrl);
  await store.migrate();
  const ctx = createContext(store, config);
  const boot = await bootstrapOperator(ctx);
  if (boot) opts.onBootstrap?.(boot.email, boot.generatedPassword);
  const app = await buildApp(ctx, { logger: opts.logger ?? false });
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
