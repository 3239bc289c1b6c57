/**
 * Server CPU per request of verify rows (no limit, one limit, three limits, bad checksum, unknown),
 * interleaved rounds against a Keyward target (bench/targets/keyward.ts, BENCH_RATELIMIT=1).
 * `npx tsx bench/micro/hot-ab.ts`; HOT_ROUNDS, HOT_SECONDS, HOT_ROWS (comma-separated row names),
 * HOT_REDIS_URL (the Redis engine), HOT_BASE=<a checkout of another commit> (its target too,
 * interleaved: an A/B of two versions on the same load).
 */
import { generateKey } from '../../src/core/key-format.js';
import { ask, type Started, startTarget, stopTarget } from '../lib/child.js';
import { loadWithCpu, median } from '../lib/measure.js';
import type { LoadSpec } from '../lib/types.js';
import { ensureWrk } from '../lib/wrk.js';

ensureWrk(() => {});
const ROUNDS = Number(process.env.HOT_ROUNDS ?? 3);
const SECONDS = Number(process.env.HOT_SECONDS ?? 3);
const env: Record<string, string> = { BENCH_RATELIMIT: '1' };
if (process.env.HOT_REDIS_URL) env.KEYWARD_REDIS_URL = process.env.HOT_REDIS_URL;
const baseDir = process.env.HOT_BASE;
const targets = [
  { label: '', s: await startTarget(new URL('../targets/keyward.ts', import.meta.url).pathname, env) },
  ...(baseDir ? [{ label: 'base ', s: await startTarget(`${baseDir}/bench/targets/keyward.ts`, env) }] : []),
];
const chars = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const rnd = (n: number) => Array.from({ length: n }, () => chars[Math.floor(Math.random() * 62)]).join('');
const spec = (url: string, bodies: string[]): LoadSpec => ({
  url,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  bodies,
  connections: 50,
  durationSeconds: SECONDS,
});
const badBodies = Array.from({ length: 1000 }, () => JSON.stringify({ key: `kw_${rnd(36)}` }));
const unknownBodies = Array.from({ length: 1000 }, () => JSON.stringify({ key: generateKey() }));
const wanted = (process.env.HOT_ROWS ?? '').split(',').filter((x) => x !== '');
const rows: [string, LoadSpec, Started][] = [];
for (const { label, s } of targets) {
  const url = `http://127.0.0.1:${s.ready.port}/v1/keys/verify`;
  const rk = s.ready.ratelimitKeys ?? {};
  const all: [string, LoadSpec][] = [
    ['no limit', spec(url, [JSON.stringify({ key: rk.none })])],
    ['one limit', spec(url, [JSON.stringify({ key: rk.one })])],
    ['three limits', spec(url, [JSON.stringify({ key: rk.three })])],
    ['bad checksum', spec(url, badBodies)],
    ['unknown', spec(url, unknownBodies)],
  ];
  for (const [name, key] of [
    ['authorize no limit', rk.none],
    ['authorize one limit', rk.one],
  ] as const) {
    const headers = { authorization: `Bearer ${key}`, 'x-original-method': 'GET', 'x-original-uri': '/integration/device/csvExport' };
    all.push([name, { ...spec(`http://127.0.0.1:${s.ready.port}/v1/authorize`, []), method: 'GET', headers, bodies: undefined }]);
  }
  const device = s.ready.device;
  if (device) {
    // As bench/run.ts loads it, just before the bad-checksum row: GET /v1/authorize signed per request.
    const ctn1 = { deviceId: device.id, secret: device.secret, host: 'api.example.com', path: '/integration/device/status' };
    const headers = { 'x-original-method': 'GET', 'x-original-host': 'api.example.com' };
    all.push(['ctn1', { ...spec(`http://127.0.0.1:${s.ready.port}/v1/authorize`, []), method: 'GET', headers, bodies: undefined, ctn1 }]);
  }
  // Rows in HOT_ROWS's order (a name may repeat), else every row.
  for (const name of wanted.length > 0 ? wanted : all.map(([n]) => n)) {
    const row = all.find(([n]) => n === name);
    if (row) rows.push([`${label}${name}${rows.some(([n]) => n === label + name) ? ' (again)' : ''}`, row[1], s]);
  }
}
for (const [, sp, s] of rows) await loadWithCpu(s, { ...sp, durationSeconds: 1 });
const got = new Map<string, number[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, sp, s] of rows) {
    if (process.env.HOT_VERBOSE) console.log(`ROW ${name}`);
    const x = await loadWithCpu(s, sp);
    if (process.env.HOT_VERBOSE) console.log('END');
    got.set(name, [...(got.get(name) ?? []), x.cpuUsPerRequest]);
  }
}
for (const [name, xs] of got) {
  const m = median(xs, (x) => x);
  const none = median(
    got.get(`${name.startsWith('base ') ? 'base ' : ''}${name.includes('authorize') ? 'authorize ' : ''}no limit`) ?? [m],
    (x) => x,
  );
  console.log(
    `${name.padEnd(19)} ${m.toFixed(1)} µs/req  (${xs.map((x) => x.toFixed(1)).join(', ')})  no-limit/this ${(none / m).toFixed(2)}`,
  );
}
for (const { s } of targets) {
  console.log(JSON.stringify(await ask(s, 'limiter')));
  await stopTarget(s);
}
