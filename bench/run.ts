/**
 * `npm run bench`: one run, every target in turn, same load for each. Servers run in their own
 * processes pinned to CPU 0, the load generator (wrk) on CPU 1, so what is measured never
 * shares a core with what measures it. Writes bench/results/latest.json and latest.md. See
 * docs/performance.md.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKey } from '../src/core/key-format.js';
import { ask, type Started, startTarget, stopTarget } from './lib/child.js';
import { ensurePeerInstalled, loadWithCpu, median } from './lib/measure.js';
import type { LatencySample, LoadResult, LoadSpec } from './lib/types.js';
import { ensureWrk, pinning, runLoad } from './lib/wrk.js';
import { benchNginx, type NginxResult } from './nginx.js';
import { benchPropagation, type PropagationResult } from './propagation.js';
import { benchRateLimits, type RateLimitResult } from './ratelimit.js';
import { renderMarkdown } from './report.js';
import { benchWorkers, type WorkersResult } from './workers.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/**
 * `http` (targets a–d), `metrics` (g: verify with metrics on vs off), `scale` (e), `propagation` (f, bench/propagation.ts),
 * `workers` (h), `ratelimit` (i, bench/ratelimit.ts) and/or `nginx` (j, bench/nginx.ts).
 */
const PARTS = (process.env.BENCH_PARTS ?? 'http,metrics,scale,propagation,workers,ratelimit,nginx').split(',');
/** Which field of the results each part fills. */
const PART_FIELDS = {
  http: 'targets',
  metrics: 'metricsCost',
  scale: 'scale',
  propagation: 'propagation',
  workers: 'workers',
  ratelimit: 'ratelimit',
  nginx: 'nginx',
} as const;
const SCALE = (process.env.BENCH_SCALE ?? '1k,100k,1M').split(',').filter(Boolean);
const JSON_HEADERS = { 'content-type': 'application/json' };

export interface TargetResult {
  name: string;
  group: 'ceiling' | 'keyward' | 'peer' | 'invalid';
  description: string;
  skipped?: string;
  load?: LoadResult;
  /** Server process CPU time (user + system) per request answered. */
  cpuUsPerRequest?: number;
  /** req/s of every round (the main targets run ROUNDS times, interleaved). */
  rounds?: number[];
  /** Latency at half the target's measured maximum rate. */
  halfLoad?: HalfLoad;
}

export interface HalfLoad {
  /** Half the measured maximum: the rate aimed at. */
  target: number;
  /** Connections used, each pausing `delayMs` between a response and its next request. */
  connections: number;
  delayMs: number;
  load: LoadResult;
}

export interface ScaleResult {
  keys: number;
  seedSeconds: number;
  dbMegabytes: number;
  startMs: number;
  rssMegabytes: number;
  heapUsedMegabytes: number;
  /** Verify at maximum load (the same reading as `verify.load`, kept for older reports). */
  load: LoadResult;
  half: HalfLoad;
  /** findKeyForVerification timed in-process, cache bypassed: the cold path at this size. */
  storeLookup: LatencySample;
  cacheEntries: number;
  /** Issue #15: verify and authorize (bearer) rotating over the sample keys, each against the ceiling loaded just before it. */
  verify?: ScaleRoute;
  authorize?: ScaleRoute;
}

/** One route loaded over the sample keys at scale, from an empty verification cache. */
export interface ScaleRoute {
  load: LoadResult;
  cpuUsPerRequest: number;
  half: HalfLoad;
  /** Store reads (cache misses that went to the store) per request answered, during the measured load. */
  loadsPerRequest: number;
  /** The bare node:http ceiling, loaded right before this route with the same connections and duration. */
  ceiling: { load: LoadResult; cpuUsPerRequest: number };
}

/** (g) What metrics cost on the hot path: the same verify load on two Keyward processes, metrics on and off. */
export interface MetricsCostResult {
  /** req/s of each interleaved round, metrics on (the default) and KEYWARD_METRICS=off. */
  on: number[];
  off: number[];
  /**
   * Median over rounds of (on / off) in the same round, each pair loaded back to back, so that
   * background load drifting over the run cancels out: 1 means free, 0.95 a 5 % cost.
   */
  ratio: number;
  cpuUsPerRequestOn: number;
  cpuUsPerRequestOff: number;
}

const log = (s: string) => process.stdout.write(`[bench] ${s}\n`);

function spec(url: string, over: Partial<LoadSpec> = {}): LoadSpec {
  return { url, method: 'POST', headers: JSON_HEADERS, connections: CONNECTIONS, durationSeconds: DURATION, ...over };
}

async function withTarget<T>(started: Promise<Started>, fn: (s: Started) => Promise<T>): Promise<T> {
  const s = await started;
  try {
    return await fn(s);
  } finally {
    await stopTarget(s);
  }
}

const HALF_DELAY_MS = 1;

/**
 * Latency at half the measured maximum. wrk has no fixed-rate mode, so the rate is set by
 * connections that each pause 1 ms between a response and the next request: a short run
 * calibrates how many connections give half the maximum, then the measured run uses them.
 */
async function halfLoad(s: LoadSpec, max: LoadResult): Promise<HalfLoad> {
  const target = max.requestsPerSecond / 2;
  let connections = Math.max(1, Math.round((target * HALF_DELAY_MS) / 1000));
  for (let i = 0; i < 2; i++) {
    const probe = await runLoad({ ...s, connections, delayMs: HALF_DELAY_MS, durationSeconds: 2 });
    connections = Math.max(1, Math.round((connections * target) / Math.max(1, probe.requestsPerSecond)));
  }
  const load = await runLoad({ ...s, connections, delayMs: HALF_DELAY_MS });
  return { target: Math.round(target), connections, delayMs: HALF_DELAY_MS, load };
}

interface Server {
  name: string;
  group: TargetResult['group'];
  description: string;
  started: Started;
  spec: LoadSpec;
}

/** GET /v1/authorize as nginx auth_request sends it: a bearer key, on a URI its scope grants. */
function authorizeHeaders(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}`, 'x-original-method': 'GET', 'x-original-uri': '/integration/device/csvExport' };
}

/**
 * (a) ceiling, (b) Keyward verify and authorize (bearer), each also with a key that has one rate
 * limit (10⁶ a second: never reached, so every request takes the counting path), and (c) the
 * peer, all started at once and loaded in alternation, ROUNDS times: background load on a shared
 * machine then hits each about equally. Each target's median round is reported; the latency at
 * 50 % load is measured for the ceiling, verify, authorize and the peer (issue #15 compares the
 * first three).
 */
async function benchMain(): Promise<{ results: TargetResult[]; keyward: Started; peer: Started; routes: string[] }> {
  ensurePeerInstalled(log);
  const [ceiling, keyward, peer] = await Promise.all([
    startTarget(here('./targets/ceiling.ts')),
    startTarget(here('./targets/keyward.ts'), { BENCH_RATELIMIT: '1' }),
    startTarget(here('./peer/server.mjs'), {}, { tsx: false }),
  ]);
  const kwBody = JSON.stringify({ key: keyward.ready.key });
  const peerBody = JSON.stringify({ key: peer.ready.key });
  const limited = keyward.ready.ratelimitKeys?.one;
  if (limited === undefined) throw new Error('bench: the Keyward target made no rate-limited key');
  const kw = `http://127.0.0.1:${keyward.ready.port}`;
  const servers: (Server & { half: boolean })[] = [
    {
      name: 'ceiling: bare node:http',
      group: 'ceiling',
      description: 'node:http answering 200 {"valid":true} to the same request as verify',
      started: ceiling,
      spec: spec(`http://127.0.0.1:${ceiling.ready.port}/`, { bodies: [kwBody] }),
      half: true,
    },
    {
      name: 'keyward: POST /v1/keys/verify (valid key)',
      group: 'keyward',
      description: 'SQLite store, verification cache warm, node:http fast path',
      started: keyward,
      spec: spec(`${kw}/v1/keys/verify`, { bodies: [kwBody] }),
      half: true,
    },
    {
      name: 'keyward: GET /v1/authorize (bearer)',
      group: 'keyward',
      description: "auth_request with Authorization: Bearer, a URI the key's scope grants; node:http fast path",
      started: keyward,
      spec: spec(`${kw}/v1/authorize`, { method: 'GET', headers: authorizeHeaders(keyward.ready.key as string) }),
      half: true,
    },
    {
      name: 'keyward: verify, key with one limit',
      group: 'keyward',
      description: 'POST /v1/keys/verify of a key with one rate limit (10⁶ a second, never reached: every request counted)',
      started: keyward,
      spec: spec(`${kw}/v1/keys/verify`, { bodies: [JSON.stringify({ key: limited })] }),
      half: false,
    },
    {
      name: 'keyward: authorize bearer, key with one limit',
      group: 'keyward',
      description: 'GET /v1/authorize of a key with one rate limit (10⁶ a second): RateLimit-* headers built per request',
      started: keyward,
      spec: spec(`${kw}/v1/authorize`, { method: 'GET', headers: authorizeHeaders(limited) }),
      half: false,
    },
    {
      name: 'peer: better-auth verifyApiKey (valid key)',
      group: 'peer',
      description: 'better-auth 1.7.5 + @better-auth/api-key on better-sqlite3 (WAL), bare node:http wrapper',
      started: peer,
      spec: spec(`http://127.0.0.1:${peer.ready.port}/verify`, { bodies: [peerBody] }),
      half: true,
    },
  ];
  for (const sv of servers) await runLoad({ ...sv.spec, durationSeconds: 2 });
  const rounds = new Map<string, { load: LoadResult; cpuUsPerRequest: number }[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const sv of servers) {
      log(`round ${r + 1}/${ROUNDS}: ${sv.name}`);
      rounds.set(sv.name, [...(rounds.get(sv.name) ?? []), await loadWithCpu(sv.started, sv.spec)]);
    }
  }
  const results: TargetResult[] = [];
  for (const sv of servers) {
    const all = rounds.get(sv.name) ?? [];
    const best = median(all, (x) => x.load.requestsPerSecond);
    const result: TargetResult = {
      name: sv.name,
      group: sv.group,
      description: sv.description,
      load: best.load,
      cpuUsPerRequest: median(all, (x) => x.cpuUsPerRequest).cpuUsPerRequest,
      rounds: all.map((x) => Math.round(x.load.requestsPerSecond)),
    };
    if (sv.half) {
      log(`half load: ${sv.name}`);
      result.halfLoad = await halfLoad(sv.spec, best.load);
    }
    results.push(result);
  }
  await stopTarget(ceiling);
  return { results, keyward, peer, routes: keyward.ready.routes ?? [] };
}

/**
 * (g) Two Keyward targets, one with KEYWARD_METRICS=off, loaded in alternation ROUNDS times with
 * the same valid-key verify request (fast path, warm cache): the ratio of their median rounds
 * is what counting costs (target: at least 0.95).
 */
async function benchMetricsCost(): Promise<MetricsCostResult> {
  const [on, off] = await Promise.all([
    startTarget(here('./targets/keyward.ts')),
    startTarget(here('./targets/keyward.ts'), { KEYWARD_METRICS: 'off' }),
  ]);
  try {
    const specs = [on, off].map((s) =>
      spec(`http://127.0.0.1:${s.ready.port}/v1/keys/verify`, { bodies: [JSON.stringify({ key: s.ready.key })] }),
    );
    for (const sp of specs) await runLoad({ ...sp, durationSeconds: 2 });
    const rounds: { load: LoadResult; cpuUsPerRequest: number }[][] = [[], []];
    for (let r = 0; r < ROUNDS; r++) {
      for (const [i, s] of [on, off].entries()) {
        log(`metrics cost, round ${r + 1}/${ROUNDS}: metrics ${i === 0 ? 'on' : 'off'}`);
        rounds[i]?.push(await loadWithCpu(s, specs[i] as LoadSpec));
      }
    }
    const [onRounds = [], offRounds = []] = rounds;
    const pairs = onRounds.map((x, i) => x.load.requestsPerSecond / Math.max(1, offRounds[i]?.load.requestsPerSecond ?? 0));
    const cpu = (xs: { cpuUsPerRequest: number }[]) => median(xs, (x) => x.cpuUsPerRequest).cpuUsPerRequest;
    return {
      on: onRounds.map((x) => Math.round(x.load.requestsPerSecond)),
      off: offRounds.map((x) => Math.round(x.load.requestsPerSecond)),
      ratio: median(pairs, (x) => x),
      cpuUsPerRequestOn: cpu(onRounds),
      cpuUsPerRequestOff: cpu(offRounds),
    };
  } finally {
    await stopTarget(on);
    await stopTarget(off);
  }
}

/**
 * (b) authorize with a CTN1 signature and (d) invalid keys, against the same process. The invalid
 * keys are loaded first. Loaded right after CTN1 (as they were), the bad-checksum row read 28.2
 * µs/request against 21.2 for unknown keys in one single-round run, which neither in-process loops
 * nor interleaved rounds reproduce (there a bad checksum costs less than an unknown key: no hash,
 * no cache); CTN1's load leaves its replay-protection entries in the process for the timestamp
 * window, and whatever the next row pays for them is no longer the invalid keys' (docs/performance.md).
 */
async function benchKeywardMore(s: Started): Promise<TargetResult[]> {
  const url = `http://127.0.0.1:${s.ready.port}/v1/keys/verify`;
  const results: TargetResult[] = [];
  const malformed = Array.from({ length: 1000 }, () => JSON.stringify({ key: `kw_${randomChars(36)}` }));
  log('keyward: random keys');
  results.push({
    name: 'keyward: verify random keys (bad checksum)',
    group: 'invalid',
    description: '1000 distinct random kw_ strings rotated: refused by the checksum, no store read',
    ...(await loadWithCpu(s, spec(url, { bodies: malformed }))),
  });
  const unknown = Array.from({ length: 1000 }, () => JSON.stringify({ key: generateKey() }));
  log('keyward: unknown keys');
  results.push({
    name: 'keyward: verify unknown well-formed keys',
    group: 'invalid',
    description: '1000 distinct keys with valid checksums that do not exist, rotated: one read each, then the negative cache',
    ...(await loadWithCpu(s, spec(url, { bodies: unknown }))),
  });
  return [await benchAuthorizeCtn1(s), ...results];
}

/** GET /v1/authorize with a CTN1 device signature; every request freshly signed (no replays). */
async function benchAuthorizeCtn1(s: Started): Promise<TargetResult> {
  const name = 'keyward: GET /v1/authorize (CTN1 signature)';
  const device = s.ready.device;
  if (!device) return { name, group: 'keyward', description: '', skipped: 'the target created no device' };
  log('keyward: authorize (CTN1)');
  const headers = { 'x-original-method': 'GET', 'x-original-host': 'api.example.com' };
  return {
    name,
    group: 'keyward',
    description: 'ext-authz with a CTN1-HMAC-SHA256 signature, signed per request by the load generator (distinct query each time)',
    ...(await loadWithCpu(
      s,
      spec(`http://127.0.0.1:${s.ready.port}/v1/authorize`, {
        method: 'GET',
        headers,
        ctn1: { deviceId: device.id, secret: device.secret, host: 'api.example.com', path: '/integration/device/status' },
      }),
    )),
  };
}

async function benchPeerInvalid(s: Started): Promise<TargetResult> {
  const url = `http://127.0.0.1:${s.ready.port}/verify`;
  const invalid = Array.from({ length: 1000 }, () => JSON.stringify({ key: randomChars(64) }));
  log('peer: random keys');
  return {
    name: 'peer: better-auth verifyApiKey (random keys)',
    group: 'invalid',
    description: '1000 distinct random keys rotated',
    ...(await loadWithCpu(s, spec(url, { bodies: invalid }))),
  };
}

// (e) the store at scale
const SIZES: Record<string, number> = { '1k': 1_000, '10k': 10_000, '100k': 100_000, '1M': 1_000_000 };

async function benchScale(label: string): Promise<ScaleResult> {
  const keys = SIZES[label] ?? Number(label);
  const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-scale-'));
  try {
    const t0 = performance.now();
    const seeded = await startTarget(here('./targets/keyward.ts'), { BENCH_DB_DIR: dir, BENCH_SEED: String(keys) });
    const seedSeconds = (performance.now() - t0) / 1000;
    const sample = seeded.ready.keys ?? [];
    await new Promise((r) => seeded.child.once('exit', r));
    const dbMegabytes = statSync(join(dir, 'keyward.db')).size / 2 ** 20;
    const tFork = performance.now();
    const ceiling = await startTarget(here('./targets/ceiling.ts'));
    try {
      return await withTarget(startTarget(here('./targets/keyward.ts'), { BENCH_DB_DIR: dir, BENCH_EXISTING: '1' }), async (s) => {
        const url = `http://127.0.0.1:${s.ready.port}/v1/keys/verify`;
        const first = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ key: sample[0] }) });
        const answer = (await first.json()) as { code: string };
        // Process start (fork) to the first verification answered over HTTP.
        const startMs = performance.now() - tFork;
        if (answer.code !== 'VALID') throw new Error(`scale ${label}: sample key answered ${answer.code}`);
        const ceilingSpec = spec(`http://127.0.0.1:${ceiling.ready.port}/`, { bodies: [JSON.stringify({ key: sample[0] })] });
        const verify = await scaleRoute(
          s,
          ceiling,
          ceilingSpec,
          'verify',
          spec(url, { bodies: sample.map((k) => JSON.stringify({ key: k })) }),
        );
        const authorizeSpec = spec(`http://127.0.0.1:${s.ready.port}/v1/authorize`, {
          method: 'GET',
          headers: { 'x-original-method': 'GET', 'x-original-uri': '/integration/device/csvExport' },
          headerSets: sample.map((k) => ({ authorization: `Bearer ${k}` })),
        });
        const authorize = await scaleRoute(s, ceiling, ceilingSpec, 'authorize', authorizeSpec);
        await ask(s, 'fill', { keys: sample });
        const mem = await ask<{ rss: number; heapUsed: number; cache?: { size: number } }>(s, 'memory');
        const storeLookup = await ask<LatencySample>(s, 'lookup', { keys: shuffled(sample).slice(0, 2000) });
        return {
          keys,
          seedSeconds,
          dbMegabytes,
          startMs,
          rssMegabytes: mem.rss / 2 ** 20,
          heapUsedMegabytes: mem.heapUsed / 2 ** 20,
          load: verify.load,
          half: verify.half,
          storeLookup,
          cacheEntries: mem.cache?.size ?? 0,
          verify,
          authorize,
        };
      });
    } finally {
      await stopTarget(ceiling);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One route at scale: the ceiling first (same connections and duration), then the route from an
 * empty verification cache (so each sample key's first request reads the store), at maximum load
 * and at half of it. Every answer must be a 2xx: a refused key would not be measuring verification.
 */
async function scaleRoute(s: Started, ceiling: Started, ceilingSpec: LoadSpec, name: string, routeSpec: LoadSpec): Promise<ScaleRoute> {
  log(`scale: ceiling before ${name}`);
  await runLoad({ ...ceilingSpec, durationSeconds: 2 });
  const ceilingLoad = await loadWithCpu(ceiling, ceilingSpec);
  log(`scale: ${name}`);
  await runLoad({ ...routeSpec, durationSeconds: 2 });
  // Emptied after the warm-up: the measured load starts its key rotation at the first key again,
  // so a cache filled by the warm-up would answer its first seconds from memory.
  await ask(s, 'clear');
  const before = await ask<{ cache?: { loads: number } }>(s, 'memory');
  const measured = await loadWithCpu(s, routeSpec);
  const after = await ask<{ cache?: { loads: number } }>(s, 'memory');
  const half = await halfLoad(routeSpec, measured.load);
  const bad = measured.load.non2xx + half.load.non2xx;
  if (bad > 0) throw new Error(`scale ${name}: ${bad} answers with status >= 400`);
  const loads = (after.cache?.loads ?? 0) - (before.cache?.loads ?? 0);
  return { ...measured, half, loadsPerRequest: loads / Math.max(1, measured.load.totalRequests), ceiling: ceilingLoad };
}

function shuffled<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function randomChars(n: number): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

async function main() {
  const startedAt = new Date().toISOString();
  // Propagation (f) asks over HTTP from this process: only (a)–(e) need the load generator.
  const wrk = ['http', 'scale', 'metrics', 'workers', 'ratelimit', 'nginx'].some((p) => PARTS.includes(p)) ? ensureWrk(log) : 'none';
  log(
    `connections=${CONNECTIONS} duration=${DURATION}s scale=${SCALE.join(',')} ${pinning ? 'servers on CPU 0, wrk on CPU 1' : 'unpinned'}`,
  );
  const targets: TargetResult[] = [];
  if (PARTS.includes('http')) {
    const main = await benchMain();
    targets.push(...main.results, ...(await benchKeywardMore(main.keyward)), await benchPeerInvalid(main.peer));
    await stopTarget(main.keyward);
    await stopTarget(main.peer);
  }
  const metricsCost = PARTS.includes('metrics') ? await benchMetricsCost() : undefined;
  const scale: ScaleResult[] = [];
  for (const label of PARTS.includes('scale') ? SCALE : []) {
    log(`scale ${label} ...`);
    scale.push(await benchScale(label));
  }
  const propagation: PropagationResult[] = PARTS.includes('propagation') ? await benchPropagation(log) : [];
  const workers: WorkersResult[] = PARTS.includes('workers')
    ? await benchWorkers(log, { connections: CONNECTIONS, durationSeconds: DURATION })
    : [];
  const ratelimit: RateLimitResult | undefined = PARTS.includes('ratelimit')
    ? await benchRateLimits(log, { connections: CONNECTIONS, durationSeconds: DURATION, rounds: ROUNDS })
    : undefined;
  const nginx: NginxResult | undefined = PARTS.includes('nginx')
    ? await benchNginx(log, { connections: CONNECTIONS, durationSeconds: DURATION, rounds: ROUNDS })
    : undefined;
  const results = {
    startedAt,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
    settings: {
      connections: CONNECTIONS,
      durationSeconds: DURATION,
      rounds: ROUNDS,
      scale: SCALE,
      loadGenerator: `${wrk} (Debian), 1 thread, own process`,
      pinning: pinning ? 'servers (every thread) on CPU 0, wrk on CPU 1' : 'none (fewer than 2 CPUs or no taskset)',
    },
    targets,
    metricsCost,
    scale,
    propagation,
    workers,
    ratelimit,
    nginx,
  };
  mkdirSync(here('./results'), { recursive: true });
  // A run of some parts (BENCH_PARTS) keeps the other parts of the previous results, each with the
  // time it was measured (partsRunAt), so the committed report stays whole and says what is older.
  const latest = here('./results/latest.json');
  let previous: Record<string, unknown> & { startedAt?: string; partsRunAt?: Record<string, string> } = {};
  try {
    previous = JSON.parse(readFileSync(latest, 'utf8'));
  } catch {
    // No previous results: only this run's parts are reported.
  }
  const partsRunAt: Record<string, string> = {};
  const merged: Record<string, unknown> = results;
  for (const [part, field] of Object.entries(PART_FIELDS)) {
    if (PARTS.includes(part)) partsRunAt[part] = startedAt;
    else if (previous[field] !== undefined && previous[field] !== null) {
      merged[field] = previous[field];
      partsRunAt[part] = previous.partsRunAt?.[part] ?? previous.startedAt ?? 'unknown';
    }
  }
  merged.partsRunAt = partsRunAt;
  // A run without wrk (propagation only) keeps the load generator the kept parts were measured with.
  const kept = previous.settings as { loadGenerator?: string } | undefined;
  if (wrk === 'none' && kept?.loadGenerator) results.settings.loadGenerator = kept.loadGenerator;
  writeFileSync(latest, `${JSON.stringify(merged, null, 2)}\n`);
  const md = renderMarkdown(results);
  writeFileSync(here('./results/latest.md'), md);
  process.stdout.write(`\n${md}`);
}

await main();
