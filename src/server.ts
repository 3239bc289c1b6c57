import type { FastifyServerOptions } from 'fastify';
import type { RemoteCaller } from './auth/machine-shared.js';
import type { InvalidationRelay } from './cache/bus-relay.js';
import type { SharedRedis } from './cache/redis.js';
import { compose, foreignSecretsWarning, type Runtime } from './compose.js';
import { type Config, loadConfig } from './config.js';
import { buildApp } from './http/app.js';
import { listenMetrics, type MetricsListener } from './http/metrics-server.js';
import type { App } from './http/types.js';
import { workerMetrics } from './metrics/cluster.js';
import { createMetrics, type Metrics } from './metrics/registry.js';
import { bootstrapOperator, ignoredBootstrapWarning } from './service/bootstrap.js';
import { STDERR_LOGGER, type StoreLogger } from './store/store.js';

export interface Keyward {
  ctx: Runtime;
  app: App;
  /** The cache invalidation relay (Redis, PostgreSQL or SQLite; none for `:memory:`): `listening` says whether it is up. */
  relay?: InvalidationRelay | undefined;
  /** The shared Redis command connection, when KEYWARD_REDIS_URL is set: `ready` says whether it is up. */
  redis?: SharedRedis | undefined;
  /**
   * This process's metrics (absent with KEYWARD_METRICS=off): `render()` is the text GET /metrics
   * answers, `registries` what a cluster worker hands to prom-client's AggregatorRegistry.
   */
  metrics?: Metrics | undefined;
  /** The separate /metrics listener, when KEYWARD_METRICS_PORT is set and `metricsListener` was not false. */
  metricsListener?: MetricsListener | undefined;
  /**
   * Stops taking connections, lets in-flight requests finish (at most `drainTimeoutMs`, then
   * their connections are closed), stops the relay, writes buffered usage, closes the store.
   */
  close(drainTimeoutMs?: number): Promise<void>;
}

/**
 * Composes the runtime (src/compose.ts: store migrated, master key checked, caches), bootstraps
 * the operator, builds the HTTP app (not yet listening) and connects what nodes share.
 */
export async function createKeyward(
  config: Config = loadConfig(),
  opts: {
    logger?: FastifyServerOptions['logger'];
    /** Fastify's per-request log lines (default on); `keyward serve` turns them off for the human format. */
    requestLogging?: boolean;
    onBootstrap?: (email: string, password: string | null) => void;
    /** Bootstrap settings were given but the store already has another operator or password (src/service/bootstrap.ts). */
    onBootstrapIgnored?: (warning: string) => void;
    /**
     * Under `keyward serve --workers N`, set in each worker: its number, and its channel to the
     * primary, which has already migrated, checked the master key and bootstrapped the operator.
     */
    worker?: { slot: number; channel: RemoteCaller };
    /**
     * Start the KEYWARD_METRICS_PORT listener (default true; never in a cluster worker: the
     * primary listens there with every worker's metrics merged).
     */
    metricsListener?: boolean;
  } = {},
): Promise<Keyward> {
  let app: App | undefined;
  // The store and Redis report through the app's logger, on stderr until it exists.
  const log: StoreLogger = {
    warn: (obj, msg) => (app ? app.log.warn(obj, msg) : STDERR_LOGGER.warn(obj, msg)),
    info: (obj, msg) => app?.log.info(obj, msg),
  };
  const worker = opts.worker;
  const composed = await compose(config, {
    masterKey: 'at-start',
    log,
    ...(worker && { migrate: false, machine: worker.channel }),
  });
  const { ctx } = composed;
  if (worker) ctx.worker = worker.slot;
  let relay: InvalidationRelay | undefined;
  const own = ctx.metrics && createMetrics({ ctx, hot: ctx.metrics, relay: () => relay });
  // A worker answers GET /metrics with the whole machine's, merged by the primary (which also runs KEYWARD_METRICS_PORT).
  const metrics = own && worker ? workerMetrics(own, worker.channel) : own;
  try {
    const boot = worker ? null : await bootstrapOperator(ctx);
    if (boot) opts.onBootstrap?.(boot.email, boot.generatedPassword);
    const ignored = boot || worker ? null : await ignoredBootstrapWarning(ctx);
    app = await buildApp(ctx, { logger: opts.logger ?? false, requestLogging: opts.requestLogging ?? true, metrics });
    if (ignored) {
      app.log.warn(ignored);
      opts.onBootstrapIgnored?.(ignored);
    }
  } catch (e) {
    await composed.close();
    throw e;
  }
  ctx.log = app.log;
  const masterKey = composed.masterKey;
  const foreign = masterKey && foreignSecretsWarning(masterKey);
  // A cluster's primary said it once for the machine.
  if (masterKey && foreign && !worker) app.log.warn({ masterKeyId: masterKey.keyId, foreignKeyIds: masterKey.foreign.keyIds }, foreign);
  const shared = await composed.connectShared(log);
  relay = shared.relay;
  const started = app;
  let metricsListener: MetricsListener | undefined;
  if (metrics && config.metrics.port !== undefined && opts.metricsListener !== false && !worker) {
    try {
      metricsListener = await listenMetrics(metrics, config, (err) => started.log.error({ err }, 'unhandled error'));
    } catch (e) {
      await composed.disconnect();
      await started.close();
      await composed.close();
      throw e;
    }
    started.log.info({ url: `${metricsListener.url}/metrics` }, 'metrics listening');
  }
  return {
    ctx,
    app: started,
    relay,
    redis: shared.redis,
    metrics,
    metricsListener,
    async close(drainTimeoutMs = Number.POSITIVE_INFINITY) {
      try {
        await metricsListener?.close();
        // Fastify stops accepting and closes idle keep-alive connections; requests under way
        // finish, unless they outlast the bound: then their connections are cut. The relay stays
        // up meanwhile, so a revocation made elsewhere during a long drain still reaches this node.
        const closing = started.close();
        const timer = Number.isFinite(drainTimeoutMs)
          ? setTimeout(() => {
              started.log.warn({ drainTimeoutMs }, 'shutdown: in-flight requests outlasted the drain timeout, closing their connections');
              started.server.closeAllConnections();
            }, drainTimeoutMs)
          : undefined;
        try {
          await closing;
        } finally {
          clearTimeout(timer);
        }
      } finally {
        try {
          await composed.disconnect();
        } finally {
          // After the server stops taking requests, so no use recorded during shutdown is lost.
          await composed.close();
        }
      }
    },
  };
}
