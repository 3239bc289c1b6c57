/**
 * (i) What rate limits cost on the hot path (issue #12): POST /v1/keys/verify of a key with no
 * limit, one limit and three limits (limits the load never reaches: the allowed path), and of a
 * key already over its limit (the flood path); GET /v1/authorize without and with one limit.
 * Each setup is one Keyward process, its rows loaded in alternation ROUNDS times, so each ratio
 * (row / the same path without limits, in the same round) cancels background load drifting over
 * the run: the median of the rounds' ratios is reported.
 *
 * Setups: a single node (in-process `LocalEngine`), and, with BENCH_REDIS_URL, a node whose
 * counters live in Redis (`RedisEngine`: one Lua script per request). The peer (better-auth's API
 * key plugin with its own per-key rate limiting) is loaded in the single node's rounds.
 */
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ask, type Started, startTarget, stopTarget } from './lib/child.js';
import { ensurePeerInstalled, loadWithCpu, median } from './lib/measure.js';
import type { LoadResult, LoadSpec } from './lib/types.js';
import { runLoad } from './lib/wrk.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const JSON_HEADERS = { 'content-type': 'application/json' };
const AUTHORIZE_URI = '/integration/device/csvExport';

type Limits = 'none' | 'one' | 'three' | 'over';

export interface RateLimitRow {
  setup: string;
  /** What is asked: `verify`, `authorize` or `peer verify`. */
  path: string;
  limits: Limits;
  /** The answer to one request before and after the load (a verify code, or an HTTP status). */
  answer: string;
  load: LoadResult;
  /** req/s of every round. */
  rounds: number[];
  cpuUsPerRequest: number;
  /** Median over rounds of req/s ÷ req/s of the same path and setup without limits, in the same round. */
  ratio?: number;
  /** Server CPU per request of the row without limits ÷ this row's (1 = free): the steadier measure. */
  cpuRatio?: number;
  /** Rate-limit Lua script calls Redis counted during the loads, per request (Redis setup only; shared Redis: an upper bound). */
  redisCallsPerRequest?: number;
  /** Requests the Redis engine refused from its memory of counters over their limit, per request (Redis setup only). */
  rememberedPerRequest?: number;
}

export interface RateLimitSetup {
  setup: string;
  description: string;
  skipped?: string;
}

export interface RateLimitResult {
  setups: RateLimitSetup[];
  rows: RateLimitRow[];
}

interface Row {
  setup: string;
  path: string;
  limits: Limits;
  started: Started;
  spec: LoadSpec;
  probe: () => Promise<string>;
}

interface Settings {
  connections: number;
  durationSeconds: number;
  rounds: number;
}

async function verifyCode(url: string, key: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ key }) });
  const body = (await res.json()) as { code?: string; ratelimits?: unknown[]; valid?: boolean };
  if (body.code === undefined) return `${res.status}`;
  return body.ratelimits ? `${body.code} (${body.ratelimits.length} limit${body.ratelimits.length === 1 ? '' : 's'} reported)` : body.code;
}

async function peerCode(url: string, key: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ key }) });
  const body = (await res.json()) as { valid?: boolean; code?: string | null };
  return body.valid ? 'valid' : `refused: ${body.code}`;
}

async function authorizeStatus(url: string, key: string): Promise<string> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${key}`, 'x-original-method': 'GET', 'x-original-uri': AUTHORIZE_URI },
  });
  await res.arrayBuffer();
  const limit = res.headers.get('ratelimit-limit');
  return `${res.status}${limit ? `, RateLimit-Limit ${limit} RateLimit-Remaining ${res.headers.get('ratelimit-remaining')}` : ''}`;
}

function keywardRows(setup: string, s: Started, st: Settings): Row[] {
  const keys = s.ready.ratelimitKeys;
  if (!keys) throw new Error('the Keyward target made no rate-limit keys');
  const verify = `http://127.0.0.1:${s.ready.port}/v1/keys/verify`;
  const authorize = `http://127.0.0.1:${s.ready.port}/v1/authorize`;
  const rows: Row[] = [];
  for (const limits of ['none', 'one', 'three', 'over'] as const) {
    const key = keys[limits] as string;
    rows.push({
      setup,
      path: 'verify',
      limits,
      started: s,
      spec: {
        url: verify,
        method: 'POST',
        headers: JSON_HEADERS,
        bodies: [JSON.stringify({ key })],
        connections: st.connections,
        durationSeconds: st.durationSeconds,
      },
      probe: () => verifyCode(verify, key),
    });
  }
  for (const limits of ['none', 'one'] as const) {
    const key = keys[limits] as string;
    const headers = { authorization: `Bearer ${key}`, 'x-original-method': 'GET', 'x-original-uri': AUTHORIZE_URI };
    rows.push({
      setup,
      path: 'authorize',
      limits,
      started: s,
      spec: { url: authorize, method: 'GET', headers, connections: st.connections, durationSeconds: st.durationSeconds },
      probe: () => authorizeStatus(authorize, key),
    });
  }
  return rows;
}

function peerRows(s: Started, st: Settings): Row[] {
  const keys = s.ready.ratelimitKeys;
  if (!keys) throw new Error('the peer made no rate-limit keys');
  const url = `http://127.0.0.1:${s.ready.port}/verify`;
  return (['none', 'one', 'over'] as const).map((limits) => {
    const key = keys[limits] as string;
    return {
      setup: 'peer (better-auth)',
      path: 'peer verify',
      limits,
      started: s,
      spec: {
        url,
        method: 'POST',
        headers: JSON_HEADERS,
        bodies: [JSON.stringify({ key })],
        connections: st.connections,
        durationSeconds: st.durationSeconds,
      },
      probe: () => peerCode(url, key),
    };
  });
}

/** Calls of the rate-limit script (EVALSHA, or EVAL when the script was not cached) Redis has answered so far. */
async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) calls += Number(m[2]);
  return calls;
}

/** Loads every row ROUNDS times in alternation; ratios against the same path without limits, per round. */
async function measure(rows: Row[], st: Settings, log: (s: string) => void, redis?: Redis): Promise<RateLimitRow[]> {
  const remembered = async (s: Started) => (await ask<LimiterStats>(s, 'limiter')).stats?.rememberedDenials ?? 0;
  const answers = new Map<Row, string>();
  for (const row of rows) answers.set(row, await row.probe());
  for (const row of rows) await runLoad({ ...row.spec, durationSeconds: 2 });
  const got = new Map<Row, { load: LoadResult; cpuUsPerRequest: number }[]>();
  const calls = new Map<Row, number>();
  const denials = new Map<Row, number>();
  for (let r = 0; r < st.rounds; r++) {
    for (const row of rows) {
      log(`rate limits, round ${r + 1}/${st.rounds}: ${row.setup} ${row.path} (${row.limits})`);
      const before = redis ? [await scriptCalls(redis), await remembered(row.started)] : [0, 0];
      got.set(row, [...(got.get(row) ?? []), await loadWithCpu(row.started, row.spec)]);
      if (redis) {
        calls.set(row, (calls.get(row) ?? 0) + (await scriptCalls(redis)) - (before[0] as number));
        denials.set(row, (denials.get(row) ?? 0) + (await remembered(row.started)) - (before[1] as number));
      }
    }
  }
  const out: RateLimitRow[] = [];
  for (const row of rows) {
    const all = got.get(row) ?? [];
    const base = rows.find((b) => b.setup === row.setup && b.path === row.path && b.limits === 'none');
    const baseAll = base ? (got.get(base) ?? []) : [];
    const after = await row.probe();
    const before = answers.get(row) as string;
    const cpu = median(all, (x) => x.cpuUsPerRequest).cpuUsPerRequest;
    const requests = all.reduce((n, x) => n + x.load.totalRequests, 0);
    const result: RateLimitRow = {
      setup: row.setup,
      path: row.path,
      limits: row.limits,
      answer: before === after ? before : `${before} before, ${after} after the load`,
      load: median(all, (x) => x.load.requestsPerSecond).load,
      rounds: all.map((x) => Math.round(x.load.requestsPerSecond)),
      cpuUsPerRequest: cpu,
    };
    if (base && base !== row) {
      result.ratio = median(
        all.map((x, i) => x.load.requestsPerSecond / Math.max(1, baseAll[i]?.load.requestsPerSecond ?? 0)),
        (x) => x,
      );
      result.cpuRatio = median(baseAll, (x) => x.cpuUsPerRequest).cpuUsPerRequest / Math.max(0.001, cpu);
    }
    if (redis) {
      result.redisCallsPerRequest = (calls.get(row) ?? 0) / Math.max(1, requests);
      result.rememberedPerRequest = (denials.get(row) ?? 0) / Math.max(1, requests);
    }
    out.push(result);
  }
  return out;
}

interface LimiterStats {
  mode: string;
  stats: { rememberedDenials: number; fallbackChecks: number } | null;
}

export async function benchRateLimits(log: (s: string) => void, st: Settings): Promise<RateLimitResult> {
  ensurePeerInstalled(log);
  const setups: RateLimitSetup[] = [];
  const rows: RateLimitRow[] = [];
  {
    const [node, peer] = await Promise.all([
      startTarget(here('./targets/keyward.ts'), { BENCH_RATELIMIT: '1' }),
      startTarget(here('./peer/server.mjs'), { BENCH_PEER_RATELIMIT: '1' }, { tsx: false }),
    ]);
    try {
      setups.push(
        {
          setup: 'single node',
          description: 'one Keyward process, SQLite, in-process LocalEngine (GCRA counters in memory, decided synchronously)',
        },
        {
          setup: 'peer (better-auth)',
          description:
            'better-auth 1.7.5 API key plugin, rateLimit enabled, per-key rateLimitTimeWindow 1 day / rateLimitMax 10⁹ (`none`: rateLimitEnabled false); SQLite (WAL), loaded in the single node’s rounds',
        },
      );
      rows.push(...(await measure([...keywardRows('single node', node, st), ...peerRows(peer, st)], st, log)));
    } finally {
      await stopTarget(node);
      await stopTarget(peer);
    }
  }
  const redisUrl = process.env.BENCH_REDIS_URL;
  if (!redisUrl) {
    setups.push({ setup: 'Redis', description: 'KEYWARD_REDIS_URL: RedisEngine', skipped: 'set BENCH_REDIS_URL' });
    return { setups, rows };
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect();
    setups.push({
      setup: 'Redis',
      description: 'KEYWARD_REDIS_URL: RedisEngine',
      skipped: `Redis at BENCH_REDIS_URL unreachable: ${String(e)}`,
    });
    return { setups, rows };
  }
  const node = await startTarget(here('./targets/keyward.ts'), { BENCH_RATELIMIT: '1', KEYWARD_REDIS_URL: redisUrl });
  try {
    const setup: RateLimitSetup = {
      setup: 'Redis',
      description:
        'one Keyward process, SQLite, KEYWARD_REDIS_URL: RedisEngine (one Lua script per request of a limited key); Redis itself unpinned',
    };
    setups.push(setup);
    rows.push(...(await measure(keywardRows('Redis', node, st), st, log, redis)));
    const limiter = await ask<LimiterStats>(node, 'limiter');
    if (limiter.mode !== 'redis' || (limiter.stats?.fallbackChecks ?? 0) > 0) {
      throw new Error(
        `the Redis target's limiter is in mode ${limiter.mode} after ${limiter.stats?.fallbackChecks} local decisions: Redis was not used throughout`,
      );
    }
  } finally {
    await stopTarget(node);
    redis.disconnect();
  }
  return { setups, rows };
}
