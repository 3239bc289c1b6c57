import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { type Catalogue, DEFAULT_CATALOGUE } from './core/catalogue.js';
import { parseCatalogue } from './core/catalogue-file.js';

export interface Config {
  databaseUrl: string;
  dataDir: string;
  host: string;
  port: number;
  defaultMaxApplications: number;
  defaultMaxKeysPerApplication: number;
  sessionTtlMs: number;
  catalogue: Catalogue;
  bootstrapEmail: string | undefined;
  bootstrapPassword: string | undefined;
  logLevel: string;
  /** `human` (short lines, no per-request lines below debug) or `json` (pino); `auto`: human on a terminal (KEYWARD_LOG_FORMAT). */
  logFormat: 'auto' | 'human' | 'json';
  /** Serve the built dashboard from this folder when it exists. */
  dashboardDir: string;
  /** Reverse-proxy mode: authorize and forward every non-Keyward request here (KEYWARD_UPSTREAM). */
  upstream: string | undefined;
  /** How often buffered key usage is written (KEYWARD_USAGE_FLUSH_MS); close() always writes the rest. */
  usageFlushIntervalMs: number;
  /** KEYWARD_MASTER_KEY (64 hex chars); when unset the key lives in `<dataDir>/master.key`. */
  masterKey?: string | undefined;
  /** Verification cache (docs/performance.md): positive entries, 0 disables the cache. */
  verifyCacheSize: number;
  verifyCacheTtlMs: number;
  verifyNegativeCacheSize: number;
  verifyNegativeCacheTtlMs: number;
  /** Answer POST /v1/keys/verify and GET /v1/authorize on node:http ahead of Fastify (src/http/fast-verify.ts, fast-authorize.ts). */
  fastVerify: boolean;
  /** Redis relaying cache invalidations between nodes; unset = the database relays them (src/cache/relay.ts). */
  redisUrl: string | undefined;
  /** Longest a cache entry lives while the invalidation relay is down (KEYWARD_RELAY_DOWN_TTL_MS). */
  relayDownTtlMs: number;
  /** Longest one database statement may run before the request answers 503 STORE_UNAVAILABLE. */
  dbStatementTimeoutMs: number;
  /** Longest opening a database connection, or waiting for a free one, may take. */
  dbConnectTimeoutMs: number;
  /** HTTP server limits (src/http/server-limits.ts): a stalled or slow client cannot hold a connection forever. */
  http: HttpLimits;
  /**
   * Which peers may set the client address through X-Forwarded-For (KEYWARD_TRUST_PROXY): off
   * by default, so a client cannot pick its own address (the sign-in throttle keys on it).
   */
  trustProxy: TrustProxy;
  /** `keyward serve` processes behind the one port (KEYWARD_WORKERS, `auto` = cores); 1 = no cluster at all. */
  workers: number;
  /** On SIGTERM/SIGINT, how long in-flight requests may take before their connections are closed (KEYWARD_SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
  /** GET /metrics (docs/performance.md, "Metrics"). */
  metrics: MetricsConfig;
  /** With Redis unreachable: `open` decides with each node's own counters, `closed` refuses limited requests (KEYWARD_RATELIMIT_ON_REDIS_DOWN). */
  ratelimitOnRedisDown: 'open' | 'closed';
  /**
   * Nodes sharing the database without Redis (KEYWARD_RATELIMIT_NODES, default 1): each node
   * enforces 1/n of every limit and re-reads quota counters after each flush (docs/ratelimits.md).
   */
  ratelimitNodes: number;
  /** Webhook delivery and the expiry scan (docs/webhooks.md). */
  webhooks: WebhookConfig;
  /** Leaked-key intake (POST /v1/leaks, docs/webhooks.md#leaked-keys). */
  leaks: LeakConfig;
}

export interface MetricsConfig {
  /** KEYWARD_METRICS=off turns metrics off: no counting, /metrics answers 404 everywhere. */
  enabled: boolean;
  /** KEYWARD_METRICS_TOKEN: /metrics then needs `Authorization: Bearer <token>` (on either port). */
  token: string | undefined;
  /** KEYWARD_METRICS_PORT: /metrics on its own listener (0: any free port), and 404 on the main port. */
  port: number | undefined;
  /** KEYWARD_METRICS_HOST: the address of that listener (default 127.0.0.1). */
  host: string;
}

/** Shorter tokens could be guessed by a scraper's neighbours; a random 32-character one is the intent. */
export const METRICS_TOKEN_MIN_LENGTH = 16;

export function metricsConfigFrom(env: NodeJS.ProcessEnv): MetricsConfig {
  const raw = (env.KEYWARD_METRICS ?? '').trim().toLowerCase();
  if (!['', 'on', 'off', 'true', 'false', '1', '0'].includes(raw)) {
    throw new Error(`KEYWARD_METRICS must be on or off, got "${env.KEYWARD_METRICS}"`);
  }
  const token = env.KEYWARD_METRICS_TOKEN || undefined;
  if (token !== undefined && (token.length < METRICS_TOKEN_MIN_LENGTH || /\s/.test(token))) {
    throw new Error(
      `KEYWARD_METRICS_TOKEN must be at least ${METRICS_TOKEN_MIN_LENGTH} characters without spaces (e.g. openssl rand -hex 16)`,
    );
  }
  const port =
    env.KEYWARD_METRICS_PORT === undefined || env.KEYWARD_METRICS_PORT === '' ? undefined : intFrom(env, 'KEYWARD_METRICS_PORT', 0);
  if (port !== undefined && port > 65_535) throw new Error(`KEYWARD_METRICS_PORT must be a TCP port, got "${env.KEYWARD_METRICS_PORT}"`);
  return { enabled: !['off', 'false', '0'].includes(raw), token, port, host: env.KEYWARD_METRICS_HOST || '127.0.0.1' };
}

export interface WebhookConfig {
  /** Run the dispatcher and the expiry scan in this serving process (KEYWARD_WEBHOOK_DISPATCH, default on). */
  dispatch: boolean;
  /** How often the dispatcher looks for due deliveries (KEYWARD_WEBHOOK_POLL_MS). */
  pollMs: number;
  /** How long a claimed delivery stays with the node that claimed it; after that any node retries it (KEYWARD_WEBHOOK_LEASE_MS). */
  leaseMs: number;
  /** Longest one attempt may take, connection to last byte (KEYWARD_WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** The first retry's delay; each next one doubles, with jitter (KEYWARD_WEBHOOK_RETRY_BASE_MS). */
  retryBaseMs: number;
  /** The longest delay between two attempts (KEYWARD_WEBHOOK_RETRY_MAX_DELAY_MS). */
  retryMaxDelayMs: number;
  /** How long after the event attempts go on before the delivery is failed (KEYWARD_WEBHOOK_MAX_AGE_MS, 24 h). */
  maxAgeMs: number;
  /** Consecutive failed attempts after which an endpoint is disabled (KEYWARD_WEBHOOK_DISABLE_AFTER). */
  disableAfterFailures: number;
  /** Deliveries claimed at once by one node. */
  batch: number;
  /** Bytes of a receiver's answer read at most (the rest is discarded). */
  maxResponseBytes: number;
  /** key.expiring is sent this many seconds before expiry (KEYWARD_WEBHOOK_EXPIRING_SECONDS, default 7 d and 1 d). */
  expiringSeconds: number[];
  /** How often the expiry scan runs (KEYWARD_WEBHOOK_SCAN_MS). */
  scanIntervalMs: number;
  /** key.expired is sent for keys that expired at most this long ago (a fresh deployment does not announce every old key). */
  expiredLookbackMs: number;
  /** Addresses and CIDR ranges deliveries may reach although private or loopback (KEYWARD_WEBHOOK_ALLOW_PRIVATE). */
  allowPrivate: string[];
  /** Plain http:// endpoints anywhere (KEYWARD_WEBHOOK_ALLOW_HTTP=1); otherwise only to addresses in allowPrivate. */
  allowHttp: boolean;
}

export interface LeakConfig {
  /** GitHub's secret-scanning public keys, from KEYWARD_GITHUB_SECRET_SCANNING_KEYS_FILE (never fetched at run time). */
  githubKeys: { keyIdentifier: string; key: string }[];
  /** SHA-256 (hex) of the tokens other scanners present (KEYWARD_LEAK_REPORTER_TOKEN_HASHES, comma-separated). */
  reporterTokenHashes: string[];
}

function listFrom(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** GitHub's `GET /meta/public_keys/secret_scanning` answer, saved by the operator. */
export function githubKeysFrom(file: string | undefined): LeakConfig['githubKeys'] {
  if (file === undefined || file === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`KEYWARD_GITHUB_SECRET_SCANNING_KEYS_FILE: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const list = (parsed as { public_keys?: unknown })?.public_keys;
  if (!Array.isArray(list)) throw new Error(`KEYWARD_GITHUB_SECRET_SCANNING_KEYS_FILE: ${file} has no public_keys array`);
  return list.map((k: { key_identifier?: unknown; key?: unknown }) => {
    if (typeof k?.key_identifier !== 'string' || typeof k?.key !== 'string') {
      throw new Error(`KEYWARD_GITHUB_SECRET_SCANNING_KEYS_FILE: every entry of public_keys needs key_identifier and key`);
    }
    return { keyIdentifier: k.key_identifier, key: k.key };
  });
}

export function webhookConfigFrom(env: NodeJS.ProcessEnv): WebhookConfig {
  const expiring = listFrom(env.KEYWARD_WEBHOOK_EXPIRING_SECONDS ?? `${7 * 86_400},${86_400}`).map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`KEYWARD_WEBHOOK_EXPIRING_SECONDS must list positive integers, got "${v}"`);
    return n;
  });
  const allowPrivate = listFrom(env.KEYWARD_WEBHOOK_ALLOW_PRIVATE);
  trustProxyFrom(allowPrivate.join(',') || undefined); // the same address/CIDR syntax, checked the same way
  const leaseMs = positiveIntFrom(env, 'KEYWARD_WEBHOOK_LEASE_MS', 60_000);
  const timeoutMs = positiveIntFrom(env, 'KEYWARD_WEBHOOK_TIMEOUT_MS', 10_000);
  // A lease ending while its attempt may still run would let a second node send the same delivery at once.
  if (leaseMs <= timeoutMs) throw new Error('KEYWARD_WEBHOOK_LEASE_MS must exceed KEYWARD_WEBHOOK_TIMEOUT_MS');
  return {
    dispatch: env.KEYWARD_WEBHOOK_DISPATCH !== '0',
    pollMs: positiveIntFrom(env, 'KEYWARD_WEBHOOK_POLL_MS', 1000),
    leaseMs,
    timeoutMs,
    retryBaseMs: positiveIntFrom(env, 'KEYWARD_WEBHOOK_RETRY_BASE_MS', 5_000),
    retryMaxDelayMs: positiveIntFrom(env, 'KEYWARD_WEBHOOK_RETRY_MAX_DELAY_MS', 2 * 3_600_000),
    maxAgeMs: positiveIntFrom(env, 'KEYWARD_WEBHOOK_MAX_AGE_MS', 24 * 3_600_000),
    disableAfterFailures: positiveIntFrom(env, 'KEYWARD_WEBHOOK_DISABLE_AFTER', 30),
    batch: 20,
    maxResponseBytes: 4096,
    expiringSeconds: [...new Set(expiring)].sort((a, b) => b - a),
    scanIntervalMs: positiveIntFrom(env, 'KEYWARD_WEBHOOK_SCAN_MS', 60_000),
    expiredLookbackMs: 7 * 86_400_000,
    allowPrivate,
    allowHttp: env.KEYWARD_WEBHOOK_ALLOW_HTTP === '1',
  };
}

/** Fastify's `trustProxy`: off, or the proxies' addresses / CIDR ranges. */
export type TrustProxy = false | string[];

/**
 * `KEYWARD_TRUST_PROXY`: empty (off) or a comma-separated list of the proxies' addresses and CIDR
 * ranges (`127.0.0.1,10.0.0.0/8`). "true" and hop counts are refused: trusting whatever peer
 * connects would let any client choose the address it is throttled under.
 */
export function trustProxyFrom(raw: string | undefined): TrustProxy {
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'false') return false;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((entry) => {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 4 ? 32 : 128;
    return family === 0 || rest.length > 0 || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix));
  });
  if (bad.length > 0) {
    throw new Error(`KEYWARD_TRUST_PROXY must list the proxies' addresses or CIDR ranges, separated by commas, got "${bad.join(',')}"`);
  }
  return list;
}

export interface HttpLimits {
  /** Time to receive a request's headers (KEYWARD_HEADERS_TIMEOUT_MS). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body (KEYWARD_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests (KEYWARD_KEEPALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed, e.g. a client that stops reading (KEYWARD_SOCKET_IDLE_TIMEOUT_MS). */
  socketIdleTimeoutMs: number;
  /** Open connections at most; further ones are closed on accept (KEYWARD_MAX_CONNECTIONS). */
  maxConnections: number;
}

/** The folder holding Keyward's package.json, from both `src/` (tsx) and `dist/src/` (built). */
export function projectRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The operator's catalogue from KEYWARD_CATALOGUE_FILE, else the default (Senet's table). */
function catalogueFrom(env: NodeJS.ProcessEnv): Catalogue {
  const file = env.KEYWARD_CATALOGUE_FILE;
  if (file === undefined || file === '') return DEFAULT_CATALOGUE;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`KEYWARD_CATALOGUE_FILE: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseCatalogue(text, file);
}

export function upstreamFrom(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`upstream must be an http:// or https:// URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`upstream must be an http:// or https:// URL, got "${raw}"`);
  if (url.search || url.hash) throw new Error(`upstream must not have a query or fragment, got "${raw}"`);
  return url.toString().replace(/\/$/, '');
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function positiveIntFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const n = intFrom(env, name, fallback);
  if (n === 0) throw new Error(`${name} must be a positive integer: 0 would turn the limit off`);
  return n;
}

/**
 * Defaults: 10 s for headers and 30 s for a whole request are far above what a gateway or a
 * client on a slow link needs for bodies of at most 1 MB. Keep-alive stays at Fastify's 72 s:
 * gateways and load balancers reuse connections for 60 s (nginx upstream keepalive_timeout,
 * AWS ALB), and a server that closes an idle connection first races the proxy's next request
 * on it (a 502 for the caller). The connection cap bounds what idle or slow clients can hold.
 */
export function httpLimitsFrom(env: NodeJS.ProcessEnv): HttpLimits {
  const limits = {
    headersTimeoutMs: positiveIntFrom(env, 'KEYWARD_HEADERS_TIMEOUT_MS', 10_000),
    requestTimeoutMs: positiveIntFrom(env, 'KEYWARD_REQUEST_TIMEOUT_MS', 30_000),
    keepAliveTimeoutMs: positiveIntFrom(env, 'KEYWARD_KEEPALIVE_TIMEOUT_MS', 72_000),
    socketIdleTimeoutMs: positiveIntFrom(env, 'KEYWARD_SOCKET_IDLE_TIMEOUT_MS', 120_000),
    maxConnections: positiveIntFrom(env, 'KEYWARD_MAX_CONNECTIONS', 10_000),
  };
  // node:http refuses a headers timeout above the request timeout.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error('KEYWARD_HEADERS_TIMEOUT_MS must not exceed KEYWARD_REQUEST_TIMEOUT_MS');
  }
  return limits;
}

/** `KEYWARD_WORKERS` / `--workers`: a positive integer, or `auto` for one per core (os.availableParallelism). */
export function workersFrom(raw: string | undefined, source = 'KEYWARD_WORKERS'): number {
  if (raw === undefined || raw.trim() === '') return 1;
  if (raw.trim() === 'auto') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`${source} must be auto or a whole number from 1 to 256, got "${raw}"`);
  return n;
}

function onRedisDownFrom(raw: string | undefined): Config['ratelimitOnRedisDown'] {
  if (raw === undefined || raw === '' || raw === 'open') return 'open';
  if (raw === 'closed') return raw;
  throw new Error(`KEYWARD_RATELIMIT_ON_REDIS_DOWN must be open or closed, got "${raw}"`);
}

function logFormatFrom(raw: string | undefined): Config['logFormat'] {
  if (raw === undefined || raw === '' || raw === 'auto') return 'auto';
  if (raw === 'human' || raw === 'json') return raw;
  throw new Error(`KEYWARD_LOG_FORMAT must be auto, human or json, got "${raw}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const dataDir = env.KEYWARD_DATA_DIR ?? './data';
  return {
    databaseUrl: env.KEYWARD_DATABASE_URL ?? `sqlite:${join(dataDir, 'keyward.db')}`,
    dataDir,
    host: env.KEYWARD_HOST ?? '127.0.0.1',
    port: intFrom(env, 'KEYWARD_PORT', 8080),
    defaultMaxApplications: intFrom(env, 'KEYWARD_MAX_APPLICATIONS', 10),
    defaultMaxKeysPerApplication: intFrom(env, 'KEYWARD_MAX_KEYS_PER_APPLICATION', 10),
    sessionTtlMs: intFrom(env, 'KEYWARD_SESSION_TTL_SECONDS', 12 * 3600) * 1000,
    catalogue: catalogueFrom(env),
    bootstrapEmail: env.KEYWARD_BOOTSTRAP_EMAIL,
    bootstrapPassword: env.KEYWARD_BOOTSTRAP_PASSWORD,
    logLevel: env.KEYWARD_LOG_LEVEL ?? 'info',
    logFormat: logFormatFrom(env.KEYWARD_LOG_FORMAT),
    dashboardDir: env.KEYWARD_DASHBOARD_DIR ?? join(projectRoot(), 'dashboard', 'dist'),
    upstream: upstreamFrom(env.KEYWARD_UPSTREAM),
    usageFlushIntervalMs: Math.max(intFrom(env, 'KEYWARD_USAGE_FLUSH_MS', 1000), 10),
    masterKey: env.KEYWARD_MASTER_KEY,
    verifyCacheSize: intFrom(env, 'KEYWARD_VERIFY_CACHE_SIZE', 100_000),
    verifyCacheTtlMs: intFrom(env, 'KEYWARD_VERIFY_CACHE_TTL_SECONDS', 30) * 1000,
    verifyNegativeCacheSize: intFrom(env, 'KEYWARD_VERIFY_NEGATIVE_CACHE_SIZE', 10_000),
    verifyNegativeCacheTtlMs: intFrom(env, 'KEYWARD_VERIFY_NEGATIVE_CACHE_TTL_SECONDS', 10) * 1000,
    fastVerify: env.KEYWARD_FAST_VERIFY !== '0',
    redisUrl: env.KEYWARD_REDIS_URL || undefined,
    relayDownTtlMs: intFrom(env, 'KEYWARD_RELAY_DOWN_TTL_MS', 1000),
    dbStatementTimeoutMs: positiveIntFrom(env, 'KEYWARD_DB_STATEMENT_TIMEOUT_MS', 2000),
    dbConnectTimeoutMs: positiveIntFrom(env, 'KEYWARD_DB_CONNECT_TIMEOUT_MS', 3000),
    http: httpLimitsFrom(env),
    trustProxy: trustProxyFrom(env.KEYWARD_TRUST_PROXY),
    workers: workersFrom(env.KEYWARD_WORKERS),
    shutdownTimeoutMs: positiveIntFrom(env, 'KEYWARD_SHUTDOWN_TIMEOUT_MS', 10_000),
    metrics: metricsConfigFrom(env),
    ratelimitOnRedisDown: onRedisDownFrom(env.KEYWARD_RATELIMIT_ON_REDIS_DOWN),
    ratelimitNodes: positiveIntFrom(env, 'KEYWARD_RATELIMIT_NODES', 1),
    webhooks: webhookConfigFrom(env),
    leaks: {
      githubKeys: githubKeysFrom(env.KEYWARD_GITHUB_SECRET_SCANNING_KEYS_FILE),
      reporterTokenHashes: listFrom(env.KEYWARD_LEAK_REPORTER_TOKEN_HASHES).map((h) => {
        if (!/^[0-9a-f]{64}$/.test(h))
          throw new Error('KEYWARD_LEAK_REPORTER_TOKEN_HASHES must list SHA-256 hashes (64 lower-case hex characters)');
        return h;
      }),
    },
    ...overrides,
  };
}
