import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Aggregator, collectDefaultMetrics, type Metric, Registry } from 'prom-client';
import type { InvalidationRelay } from '../cache/bus-relay.js';
import type { Runtime } from '../compose.js';
import { projectRoot } from '../config.js';
import type { FixedHistogram } from '../core/histogram.js';
import { RedisEngine } from '../ratelimit/redis-engine.js';
import type { HotMetrics } from './hot.js';

/** One line of a metric: prom-client's own value shape (what AggregatorRegistry aggregates). */
interface Sample {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * A metric read from Keyward's own counters when scraped, in the shape prom-client's registry
 * renders and its AggregatorRegistry merges across cluster workers (`get()` → name, help,
 * type, values, aggregator). Counters and histograms are summed across workers; each gauge
 * says how.
 */
function collected(name: string, help: string, type: MetricType, aggregator: Aggregator, read: () => Sample[]): Metric {
  const metric = {
    name,
    help,
    type,
    aggregator,
    get: async () => ({ name, help, type, aggregator, values: read() }),
    reset: () => {},
  };
  return metric as unknown as Metric;
}

/** A FixedHistogram's lines in Prometheus' form: cumulative `_bucket{le}`, `_sum`, `_count`. */
function histogramSamples(name: string, h: FixedHistogram, labels: Record<string, string> = {}): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  for (let i = 0; i < h.bounds.length; i++) {
    cumulative += h.counts[i] as number;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: h.bounds[i] as number }, value: cumulative });
  }
  cumulative += h.counts[h.bounds.length] as number;
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
  out.push({ metricName: `${name}_sum`, labels, value: h.sum });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
  return out;
}

const fromMap = (counts: Map<string, number>, label: string, extra: Record<string, string>): Sample[] =>
  [...counts].map(([key, value]) => ({ labels: { ...extra, [label]: key }, value }));

/**
 * prom-client's default metrics (process CPU, memory, file descriptors, event loop lag, GC,
 * heap) describe the process, not one Keyward instance: one registry per process, shared by
 * every instance in it (tests run several).
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface MetricsSources {
  ctx: Runtime;
  hot: HotMetrics;
  /** The relay once connected (it starts after the app is built). */
  relay: () => InvalidationRelay | undefined;
}

let version: string | undefined;
function keywardVersion(): string {
  if (version === undefined) {
    try {
      version = String(
        (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown',
      );
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

export interface Metrics {
  /**
   * The registries to render, this instance's and the process's: what a cluster worker hands
   * to `AggregatorRegistry.setRegistries` so the primary can merge every worker's.
   */
  readonly registries: Registry[];
  readonly contentType: string;
  /** The Prometheus text of every registry; concurrent calls share one rendering. */
  render(): Promise<string>;
}

/** This instance's registry: every metric reads its source at scrape time, nothing runs per request. */
export function createMetrics(src: MetricsSources): Metrics {
  const { ctx, hot } = src;
  const registry = new Registry();
  const add = (m: Metric) => registry.registerMetric(m);

  add(
    collected('keyward_build_info', 'Keyward version and store dialect (always 1)', 'gauge', 'max', () => [
      { labels: { version: keywardVersion(), store: ctx.store.dialectName }, value: 1 },
    ]),
  );
  add(
    collected(
      'keyward_verifications_total',
      'Answers of POST /v1/keys/verify (kind="key") and POST /v1/signatures/verify (kind="signature"), by result code (200) or error code',
      'counter',
      'sum',
      () => [
        ...fromMap(hot.verifications.key, 'code', { kind: 'key' }),
        ...fromMap(hot.verifications.signature, 'code', { kind: 'signature' }),
      ],
    ),
  );
  add(
    collected(
      'keyward_verify_duration_seconds',
      'Seconds from a verification request read to its 200 answer written',
      'histogram',
      'sum',
      () => [
        ...histogramSamples('keyward_verify_duration_seconds', hot.verifyDuration.key, { kind: 'key' }),
        ...histogramSamples('keyward_verify_duration_seconds', hot.verifyDuration.signature, { kind: 'signature' }),
      ],
    ),
  );
  add(
    collected(
      'keyward_authorize_total',
      'Gateway decisions of GET /v1/authorize (route="authorize") and the reverse proxy (route="proxy"): outcome "allowed" or the error code',
      'counter',
      'sum',
      () => [
        ...fromMap(hot.authorize.authorize, 'outcome', { route: 'authorize' }),
        ...fromMap(hot.authorize.proxy, 'outcome', { route: 'proxy' }),
      ],
    ),
  );
  add(
    collected('keyward_http_responses_total', 'HTTP responses on the main port, by status class', 'counter', 'sum', () =>
      [1, 2, 3, 4, 5].map((c) => ({ labels: { class: `${c}xx` }, value: hot.httpResponses[c] as number })),
    ),
  );

  const caches = () => {
    const out: { cache: string; hits: number; misses: number; evictions: number; invalidations: number; loads: number; size: number }[] =
      [];
    const v = ctx.verificationCache?.stats();
    if (v) out.push({ cache: 'verification', ...v, hits: v.hits + v.negativeHits });
    const d = ctx.deviceCache?.stats();
    if (d) out.push({ cache: 'device', ...d });
    return out;
  };
  const cacheMetric = (name: string, help: string, field: 'hits' | 'misses' | 'evictions' | 'invalidations' | 'loads') =>
    add(collected(name, help, 'counter', 'sum', () => caches().map((c) => ({ labels: { cache: c.cache }, value: c[field] }))));
  cacheMetric('keyward_cache_hits_total', 'Lookups answered from the cache (known keys and devices, and known-unknown ones)', 'hits');
  cacheMetric('keyward_cache_misses_total', 'Lookups the cache could not answer', 'misses');
  cacheMetric('keyward_cache_evictions_total', 'Entries dropped to make room (the cache was full)', 'evictions');
  cacheMetric('keyward_cache_invalidations_total', 'Changes applied to the cache (local, or relayed from other nodes)', 'invalidations');
  cacheMetric('keyward_cache_loads_total', 'Store reads made by the cache', 'loads');
  add(
    collected('keyward_cache_entries', 'Entries held (verification: known keys only)', 'gauge', 'sum', () =>
      caches().map((c) => ({ labels: { cache: c.cache }, value: c.size })),
    ),
  );
  add(
    collected('keyward_cache_negative_entries', 'Unknown key hashes remembered as unknown', 'gauge', 'sum', () => {
      const v = ctx.verificationCache?.stats();
      return v ? [{ labels: { cache: 'verification' }, value: v.negativeSize }] : [];
    }),
  );

  const queries = ctx.store.queryStats;
  add(
    collected(
      'keyward_store_query_duration_seconds',
      'Seconds from sending a database statement to its answer or failure',
      'histogram',
      'sum',
      () => histogramSamples('keyward_store_query_duration_seconds', queries.duration),
    ),
  );
  add(
    collected(
      'keyward_store_errors_total',
      'Failed database statements: reason="unavailable" (unreachable or too slow: answered 503) or "error" (any other failure)',
      'counter',
      'sum',
      () => [
        { labels: { reason: 'unavailable' }, value: queries.unavailable },
        { labels: { reason: 'error' }, value: queries.failed },
      ],
    ),
  );
  add(
    collected(
      'keyward_store_up',
      'Whether the last database statement was answered (0 after a failure classed unavailable)',
      'gauge',
      'min',
      () => [{ labels: {}, value: queries.available ? 1 : 0 }],
    ),
  );

  add(
    collected(
      'keyward_relay_up',
      'Whether the cache invalidation relay is listening (0: cache entries live at most KEYWARD_RELAY_DOWN_TTL_MS); no line without a relay',
      'gauge',
      'min',
      () => {
        const relay = src.relay();
        return relay ? [{ labels: { bus: relay.kind }, value: relay.listening ? 1 : 0 }] : [];
      },
    ),
  );
  add(
    collected('keyward_relay_received_total', 'Changes received from other nodes over the relay', 'counter', 'sum', () => {
      const relay = src.relay();
      return relay ? [{ labels: { bus: relay.kind }, value: relay.stats.received }] : [];
    }),
  );
  add(
    collected('keyward_relay_publish_errors_total', 'Changes this node could not publish to the others', 'counter', 'sum', () => {
      const relay = src.relay();
      return relay ? [{ labels: { bus: relay.kind }, value: relay.stats.publishFailures }] : [];
    }),
  );
  add(
    collected(
      'keyward_relay_lag_seconds',
      "Seconds from another node publishing a change to this node applying it (the two nodes' clocks)",
      'histogram',
      'sum',
      () => {
        const relay = src.relay();
        return relay ? histogramSamples('keyward_relay_lag_seconds', relay.stats.lag, { bus: relay.kind }) : [];
      },
    ),
  );

  add(
    collected('keyward_usage_pending_keys', 'Keys with uses counted in memory and not yet written (the next flush)', 'gauge', 'sum', () => [
      { labels: {}, value: ctx.usage.pendingKeys },
    ]),
  );
  add(
    collected(
      'keyward_usage_pending_devices',
      'Devices with signed requests counted in memory and not yet written (the next flush)',
      'gauge',
      'sum',
      () => [{ labels: {}, value: ctx.usage.pendingDeviceCount }],
    ),
  );
  add(
    collected('keyward_usage_flush_errors_total', 'Usage flushes that failed (their counts are kept and retried)', 'counter', 'sum', () => [
      { labels: {}, value: ctx.usage.flushFailures },
    ]),
  );

  add(
    collected(
      'keyward_ratelimit_decisions_total',
      'Rate limit and quota decisions of limited keys and of signed devices of limited accounts: outcome allowed, limited (RATE_LIMITED) or usage_exceeded',
      'counter',
      'sum',
      () => Object.entries(hot.limitDecisions).map(([outcome, value]) => ({ labels: { outcome }, value })),
    ),
  );
  // The Redis engine's own counters: no line when the counters are not in Redis (one process, or the machine's primary).
  const redisEngine = () => (ctx.limiter instanceof RedisEngine ? ctx.limiter : undefined);
  add(
    collected(
      'keyward_ratelimit_backend_up',
      'Whether the shared rate limit counters are in use: 1 while Redis answers, 0 while this node decides alone (fail-open) or refuses (fail-closed)',
      'gauge',
      'min',
      () => {
        const e = redisEngine();
        return e ? [{ labels: { backend: 'redis' }, value: e.redisUp ? 1 : 0 }] : [];
      },
    ),
  );
  const engineCounter = (name: string, help: string, field: keyof RedisEngine['stats']) =>
    add(
      collected(name, help, 'counter', 'sum', () => {
        const e = redisEngine();
        return e ? [{ labels: {}, value: e.stats[field] }] : [];
      }),
    );
  engineCounter(
    'keyward_ratelimit_fail_open_total',
    "Limited requests decided by this node's own counters while Redis was unreachable (KEYWARD_RATELIMIT_ON_REDIS_DOWN=open)",
    'fallbackChecks',
  );
  engineCounter(
    'keyward_ratelimit_fail_closed_total',
    'Limited requests refused with 503 while Redis was unreachable (KEYWARD_RATELIMIT_ON_REDIS_DOWN=closed)',
    'refusedWhileDown',
  );
  engineCounter('keyward_ratelimit_redis_errors_total', 'Rate limit script calls to Redis that failed or timed out', 'redisErrors');
  engineCounter(
    'keyward_ratelimit_refused_from_memory_total',
    'Requests refused from what this node remembers of counters over their limit (or spent quotas), without a Redis call',
    'rememberedDenials',
  );

  const registries = [processMetrics(), registry];
  let rendering: Promise<string> | undefined;
  return {
    registries,
    contentType: registry.contentType,
    render() {
      rendering ??= Promise.all(registries.map((r) => r.metrics())).then(
        (texts) => {
          rendering = undefined;
          return texts.join('\n');
        },
        (error: unknown) => {
          rendering = undefined;
          throw error;
        },
      );
      return rendering;
    },
  };
}
