/**
 * Server CPU per request of verify rows (no limit, one limit, three limits, bad checksum, unknown),
 * interleaved rounds against one Keyward target (bench/targets/keyward.ts, BENCH_RATELIMIT=1).
 * `npx tsx bench/micro/hot-ab.ts` (HOT_ROUNDS, HOT_SECONDS, HOT_REDIS_URL to use the Redis engine).
 */
import { generateKey } from '../../src/core/key-format.js';
import { ask, startTarget, stopTarget } from '../lib/child.js';
import { loadWithCpu, median } from '../lib/measure.js';
import type { LoadSpec } from '../lib/types.js';
import { ensureWrk } from '../lib/wrk.js';

ensureWrk(() => {});
const ROUNDS = Number(process.env.HOT_ROUNDS ?? 3);
const SECONDS = Number(process.env.HOT_SECONDS ?? 3);
const env: Record<string, string> = { BENCH_RATELIMIT: '1' };
if (process.env.HOT_REDIS_URL) env.KEYWARD_REDIS_URL = process.env.HOT_REDIS_URL;
const s = await startTarget(new URL('../targets/keyward.ts', import.meta.url).pathname, env);
const url = `http://127.0.0.1:${s.ready.port}/v1/keys/verify`;
const rk = s.ready.ratelimitKeys ?? {};
const chars = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const rnd = (n: number) => Array.from({ length: n }, () => chars[Math.floor(Math.random() * 62)]).join('');
const spec = (bodies: string[]): LoadSpec => ({
  url,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  bodies,
  connections: 50,
  durationSeconds: SECONDS,
});
const rows: [string, LoadSpec][] = [
  ['no limit', spec([JSON.stringify({ key: rk.none })])],
  ['one limit', spec([JSON.stringify({ key: rk.one })])],
  ['three limits', spec([JSON.stringify({ key: rk.three })])],
  ['bad checksum', spec(Array.from({ length: 1000 }, () => JSON.stringify({ key: `kw_${rnd(36)}` })))],
  ['unknown', spec(Array.from({ length: 1000 }, () => JSON.stringify({ key: generateKey() })))],
].filter(([n]) => (process.env.HOT_ROWS ?? '').length === 0 || (process.env.HOT_ROWS ?? '').split(',').includes(n as string)) as [
  string,
  LoadSpec,
][];
for (const [, sp] of rows) await loadWithCpu(s, { ...sp, durationSeconds: 1 });
const got = new Map<string, number[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, sp] of rows) {
    const x = await loadWithCpu(s, sp);
    got.set(name, [...(got.get(name) ?? []), x.cpuUsPerRequest]);
  }
}
const base = median(got.get('no limit') ?? [0], (x) => x);
for (const [name, xs] of got) {
  const m = median(xs, (x) => x);
  console.log(
    `${name.padEnd(14)} ${m.toFixed(1)} µs/req  (${xs.map((x) => x.toFixed(1)).join(', ')})  ratio no-limit/this ${(base / m).toFixed(2)}`,
  );
}
console.log(JSON.stringify(await ask(s, 'limiter')));
await stopTarget(s);
