/**
 * Server CPU per request of Keyward's built-in reverse proxy (`KEYWARD_UPSTREAM`), against the same
 * process answering `GET /v1/authorize` for the same key: starts bench/targets/upstream.ts and
 * bench/targets/keyward-gateway.ts as bench/nginx.ts does, drives Keyward with wrk (no nginx),
 * interleaved, and prints Keyward's CPU time per request for each (the upstream's is not counted).
 * Their difference is what proxying costs beyond the authorization itself.
 *
 *   npx tsx bench/micro/proxy-load.ts
 *
 * With BASELINE=<dir> (a checkout of another commit, as in ctn1-load.ts) its gateway target is
 * loaded too, in the same rounds. With PROFILE=<dir> Keyward runs under `--cpu-prof`.
 * Env: DURATION (seconds per round, default 5), CONNECTIONS (default 50), ROUNDS (default 3).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Started, startTarget } from '../lib/child.js';
import { loadWithCpu } from '../lib/measure.js';
import type { LoadSpec, Ready } from '../lib/types.js';
import { pinServer, runLoad } from '../lib/wrk.js';

const DURATION = Number(process.env.DURATION ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

async function startProfiled(modulePath: string, dir: string, env: Record<string, string>): Promise<Started> {
  const child = fork(modulePath, [], {
    execArgv: ['--import', 'tsx', '--cpu-prof', `--cpu-prof-dir=${dir}`],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`${modulePath} exited with ${code} before it was ready`)));
  });
  pinServer(child.pid);
  return { child, ready, startMs: 0 };
}

const api = await startTarget(here('../targets/upstream.ts'));
const env = { BENCH_UPSTREAM: `http://127.0.0.1:${api.ready.port}` };
const gateway = here('../targets/keyward-gateway.ts');
const keyward = process.env.PROFILE ? await startProfiled(gateway, process.env.PROFILE, env) : await startTarget(gateway, env);
const baseline = process.env.BASELINE ? await startTarget(`${process.env.BASELINE}/bench/targets/keyward-gateway.ts`, env) : undefined;

const keyOf = (s: Started) => (s.ready as Ready & { key: string }).key;
const proxied = (s: Started, durationSeconds: number): LoadSpec => ({
  url: `http://127.0.0.1:${s.ready.port}/integration/device/csvExport`,
  method: 'GET',
  headers: { authorization: `Bearer ${keyOf(s)}` },
  connections: CONNECTIONS,
  durationSeconds,
});
const authorize = (s: Started, durationSeconds: number): LoadSpec => ({
  url: `http://127.0.0.1:${s.ready.port}/v1/authorize`,
  method: 'GET',
  headers: {
    authorization: `Bearer ${keyOf(s)}`,
    'x-original-method': 'GET',
    'x-original-uri': '/integration/device/csvExport',
  },
  connections: CONNECTIONS,
  durationSeconds,
});

for (const s of [keyward, baseline]) if (s) await runLoad(proxied(s, 2));
const us = (x: number) => Number(x.toFixed(1));
const rows: { proxy: number; authorize: number; baseline: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const p = await loadWithCpu(keyward, proxied(keyward, DURATION));
  const b = baseline ? await loadWithCpu(baseline, proxied(baseline, DURATION)) : undefined;
  const a = await loadWithCpu(keyward, authorize(keyward, DURATION));
  for (const x of [p, b, a]) {
    if (x && (x.load.non2xx > 0 || x.load.errors > 0)) throw new Error(`load: ${x.load.non2xx} non-2xx, ${x.load.errors} errors`);
  }
  rows.push({ proxy: p.cpuUsPerRequest, authorize: a.cpuUsPerRequest, baseline: b?.cpuUsPerRequest ?? Number.NaN });
  console.log(
    JSON.stringify({
      round: r + 1,
      proxyRps: Math.round(p.load.requestsPerSecond),
      proxyCpuUs: us(p.cpuUsPerRequest),
      ...(b && { baselineRps: Math.round(b.load.requestsPerSecond), baselineCpuUs: us(b.cpuUsPerRequest) }),
      authorizeCpuUs: us(a.cpuUsPerRequest),
    }),
  );
}
const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
console.log(
  JSON.stringify({
    medianProxyCpuUs: us(med(rows.map((r) => r.proxy))),
    medianAuthorizeCpuUs: us(med(rows.map((r) => r.authorize))),
    ...(baseline && { medianBaselineCpuUs: us(med(rows.map((r) => r.baseline))) }),
  }),
);

async function stop(s: Started): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.disconnect();
  await exited;
}
await Promise.all([stop(keyward), stop(api), ...(baseline ? [stop(baseline)] : [])]);
