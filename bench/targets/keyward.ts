/**
 * Keyward as a benchmark target, in its own process. Modes (env):
 * - default: fresh SQLite store in BENCH_DB_DIR (or a temp dir), one tenant, one application
 *   key; listens and reports { port, key, routes }.
 * - BENCH_SEED=N: seeds N keys straight through the store repos, reports a sample of their
 *   secrets and exits (the scale test then starts a fresh process on that store).
 * - BENCH_RATELIMIT=1: also keys with rate limits (bench/ratelimit.ts): `ratelimitKeys` in the
 *   ready message.
 * Answers { ask: 'memory' } with process.memoryUsage() and the verification cache's counters,
 * { ask: 'limiter' } with the rate-limit engine's mode and counters, { ask: 'clear' } by emptying
 * the verification cache.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { hashSecret } from '../../src/core/key-format.js';
import { createKeyward } from '../../src/server.js';
import { findKeyForVerification, findKeyForVerificationNow } from '../../src/store/repos/keys.js';
import { seedKeys } from './seed.js';

const dir = process.env.BENCH_DB_DIR ?? mkdtempSync(join(tmpdir(), 'keyward-bench-'));
const OPERATOR = { email: 'operator@bench.local', password: 'operator-password-1' };
// Only KEYWARD_METRICS (the metrics-cost target turns it off) and KEYWARD_REDIS_URL (the rate-limit
// part's Redis target) are taken from the environment.
const config = loadConfig(
  { KEYWARD_METRICS: process.env.KEYWARD_METRICS, KEYWARD_REDIS_URL: process.env.KEYWARD_REDIS_URL },
  { databaseUrl: `sqlite:${join(dir, 'keyward.db')}`, dataDir: dir, bootstrapEmail: OPERATOR.email, bootstrapPassword: OPERATOR.password },
);
const kw = await createKeyward(config);

async function call(method: 'GET' | 'POST', url: string, body?: unknown, token?: string) {
  const res = await kw.app.inject({
    method,
    url,
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** One tenant with an admin and an application: what every mode builds on. */
async function tenant() {
  const op = (await call('POST', '/v1/auth/login', OPERATOR)).token as string;
  const created = await call(
    'POST',
    '/v1/accounts',
    {
      name: 'Bench',
      admin: { email: 'admin@bench.local', name: 'Admin', password: 'admin-password-1' },
    },
    op,
  );
  const admin = (await call('POST', '/v1/auth/login', { email: 'admin@bench.local', password: 'admin-password-1' })).token as string;
  const accountId = created.account.id as string;
  const app = await call('POST', `/v1/accounts/${accountId}/applications`, { name: 'Bench app' }, admin);
  return { accountId, adminId: created.admin.id as string, applicationId: app.id as string, admin };
}

type Tenant = Awaited<ReturnType<typeof tenant>>;

/**
 * Keys for the rate-limit part, all in the bench application and with the same scope as the main
 * key: `none` (no limit), `one` and `three` (limits far above what the load reaches, so every
 * request takes the allowed path), and `over` (1 a day, used once here: every later request is
 * refused, the flood path).
 */
async function limitedKeys(t: Tenant) {
  const make = async (name: string, ratelimits: object[]) =>
    (
      await call(
        'POST',
        `/v1/accounts/${t.accountId}/applications/${t.applicationId}/keys`,
        { name, scopes: ['device:read'], ratelimits },
        t.admin,
      )
    ).key as string;
  // 10⁶ a second at most: with 10⁹ a second a request's interval (10⁻⁶ ms) is the engines' float epsilon.
  const perSecond = { name: 'per-second', limit: 1_000_000, window: 'second' };
  const perMinute = { name: 'per-minute', limit: 100_000_000, window: 'minute' };
  const perHour = { name: 'per-hour', limit: 1_000_000_000, window: 'hour' };
  const keys = {
    none: await make('rl none', []),
    one: await make('rl one', [perSecond]),
    three: await make('rl three', [perSecond, perMinute, perHour]),
    over: await make('rl over', [{ name: 'daily', limit: 1, window: 'day' }]),
  };
  const first = await call('POST', '/v1/keys/verify', { key: keys.over });
  if (first.code !== 'VALID') throw new Error(`rate-limit bench: the over-limit key's first use answered ${first.code}`);
  return keys;
}

const seed = Number(process.env.BENCH_SEED ?? 0);
if (seed > 0) {
  const t = await tenant();
  const sample = await seedKeys(kw.ctx.store, { ...t, count: seed, sampleSize: Math.min(seed, 100_000) });
  await kw.close();
  process.send?.({ ready: true, port: 0, keys: sample }, () => process.exit(0));
} else {
  let key: string | undefined;
  let device: { id: string; secret: string } | undefined;
  let tenantOf: Tenant | undefined;
  if (process.env.BENCH_EXISTING !== '1') {
    const t = await tenant();
    tenantOf = t;
    const created = await call('POST', `/v1/accounts/${t.accountId}/devices`, { name: 'bench device' }, t.admin);
    device = { id: created.device.id as string, secret: created.secret as string };
    key = (
      await call(
        'POST',
        `/v1/accounts/${t.accountId}/applications/${t.applicationId}/keys`,
        { name: 'k', scopes: ['device:read'] },
        t.admin,
      )
    ).key as string;
  }
  const ratelimitKeys = process.env.BENCH_RATELIMIT === '1' && tenantOf ? await limitedKeys(tenantOf) : undefined;
  const routes = Object.keys(((await kw.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: object }).paths);
  await kw.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = kw.app.server.address();
  process.send?.({ ready: true, port: typeof addr === 'object' && addr ? addr.port : 0, key, routes, device, ratelimitKeys });
}

/**
 * Store lookups straight through the repo (no cache), timed one by one: the read a cache miss
 * makes (synchronous on SQLite, `findKeyForVerificationNow`; else the Kysely read).
 */
async function lookupLatency(keys: string[]) {
  const times: number[] = [];
  for (const k of keys) {
    const t0 = process.hrtime.bigint();
    const hash = hashSecret(k);
    const found = findKeyForVerificationNow(kw.ctx.store, hash) ?? (await findKeyForVerification(kw.ctx.store.db, hash));
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (!found) throw new Error('sample key not found');
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0);
  return { samples: times.length, p50Us: at(0.5), p99Us: at(0.99), maxUs: Math.round(times[times.length - 1] ?? 0) };
}

process.on('message', async (m: { ask?: string; keys?: string[] }) => {
  if (m.ask === 'lookup') process.send?.(await lookupLatency(m.keys ?? []));
  if (m.ask === 'fill') {
    // Through the cache, as verification does: fills it up to its bound for the memory reading.
    for (const k of m.keys ?? []) await kw.ctx.keyLookup(hashSecret(k));
    process.send?.({ done: true });
  }
  if (m.ask === 'cpu') process.send?.(process.cpuUsage());
  if (m.ask === 'clear') {
    // The scale part starts each route cold: no key of the sample cached.
    kw.ctx.verificationCache?.clear();
    process.send?.({ done: true });
  }
  if (m.ask === 'limiter') {
    const limiter = kw.ctx.limiter as { mode: string; stats?: object };
    process.send?.({ mode: limiter.mode, stats: limiter.stats ?? null });
  }
  if (m.ask === 'memory') {
    const stats = kw.ctx.verificationCache?.stats();
    process.send?.({ ...process.memoryUsage(), cache: stats });
  }
});
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
// A clean exit on the bench's SIGTERM, so a server run with --cpu-prof writes its profile.
process.on('SIGTERM', () => process.exit(0));
