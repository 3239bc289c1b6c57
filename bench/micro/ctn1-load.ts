/**
 * Server CPU per CTN1-signed `GET /v1/authorize` (issue #15), the bench row "keyward: GET
 * /v1/authorize (CTN1 signature)" on its own: starts bench/targets/keyward.ts and the bare
 * node:http ceiling (bench/targets/ceiling.ts) as bench/run.ts does, drives each with wrk over the
 * same kind of load (freshly signed requests for Keyward), interleaved, and prints the servers' CPU
 * time per request and their ratio. With PROFILE=<dir> Keyward runs under `--cpu-prof` and writes
 * its profile there when it exits.
 *
 *   npx tsx bench/micro/ctn1-load.ts
 *
 * With BASELINE=<dir>, a checkout of another commit (e.g. `git archive <commit> src bench packages
 * tsconfig.json package.json | tar -x -C <dir>`, node_modules linked), its Keyward target is loaded
 * too, in the same rounds: the ratio of the two is steadier than either number on a busy machine.
 *
 * Env: DURATION (seconds per round, default 6), CONNECTIONS (default 50), ROUNDS (default 3), PROFILE, BASELINE.
 */

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Started, startTarget } from '../lib/child.js';
import { loadWithCpu } from '../lib/measure.js';
import type { LoadSpec, Ready } from '../lib/types.js';
import { pinServer, runLoad } from '../lib/wrk.js';

const DURATION = Number(process.env.DURATION ?? 6);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const profile = process.env.PROFILE;
/** startTarget with --cpu-prof (not allowed in NODE_OPTIONS, so passed as an exec argument). */
async function startProfiled(modulePath: string, dir: string): Promise<Started> {
  const child = fork(modulePath, [], {
    execArgv: ['--import', 'tsx', '--cpu-prof', `--cpu-prof-dir=${dir}`],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`${modulePath} exited with ${code} before it was ready`)));
  });
  pinServer(child.pid);
  return { child, ready, startMs: 0 };
}
const keyward = profile ? await startProfiled(here('../targets/keyward.ts'), profile) : await startTarget(here('../targets/keyward.ts'));
const ceiling = await startTarget(here('../targets/ceiling.ts'));
const baseline = process.env.BASELINE ? await startTarget(`${process.env.BASELINE}/bench/targets/keyward.ts`) : undefined;

const ctn1 = (s: Started, durationSeconds: number): LoadSpec => {
  const device = s.ready.device;
  if (!device) throw new Error('the Keyward target created no device');
  return {
    url: `http://127.0.0.1:${s.ready.port}/v1/authorize`,
    method: 'GET',
    headers: { 'x-original-method': 'GET', 'x-original-host': 'api.example.com' },
    connections: CONNECTIONS,
    durationSeconds,
    ctn1: { deviceId: device.id, secret: device.secret, host: 'api.example.com', path: '/integration/device/status' },
  };
};
const bare = (durationSeconds: number): LoadSpec => ({
  url: `http://127.0.0.1:${ceiling.ready.port}/`,
  method: 'GET',
  headers: {},
  connections: CONNECTIONS,
  durationSeconds,
});

await runLoad(ctn1(keyward, 2));
if (baseline) await runLoad(ctn1(baseline, 2));
await runLoad(bare(2));
const rows: { ctn1: number; ceiling: number; baseline: number }[] = [];
const us = (x: number) => Number(x.toFixed(1));
for (let r = 0; r < ROUNDS; r++) {
  const k = await loadWithCpu(keyward, ctn1(keyward, DURATION));
  const b = baseline ? await loadWithCpu(baseline, ctn1(baseline, DURATION)) : undefined;
  const c = await loadWithCpu(ceiling, bare(DURATION));
  for (const x of [k, b]) {
    if (x && (x.load.non2xx > 0 || x.load.errors > 0)) throw new Error(`CTN1 load: ${x.load.non2xx} non-2xx, ${x.load.errors} errors`);
  }
  rows.push({ ctn1: k.cpuUsPerRequest, ceiling: c.cpuUsPerRequest, baseline: b?.cpuUsPerRequest ?? Number.NaN });
  console.log(
    JSON.stringify({
      round: r + 1,
      ctn1Rps: Math.round(k.load.requestsPerSecond),
      ctn1CpuUs: us(k.cpuUsPerRequest),
      ...(b && { baselineRps: Math.round(b.load.requestsPerSecond), baselineCpuUs: us(b.cpuUsPerRequest) }),
      ceilingRps: Math.round(c.load.requestsPerSecond),
      ceilingCpuUs: us(c.cpuUsPerRequest),
      ratio: Number((c.cpuUsPerRequest / k.cpuUsPerRequest).toFixed(3)),
    }),
  );
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const k = med(rows.map((r) => r.ctn1));
const c = med(rows.map((r) => r.ceiling));
const b = med(rows.map((r) => r.baseline));
console.log(
  JSON.stringify({
    medianCtn1CpuUs: us(k),
    medianCeilingCpuUs: us(c),
    ratio: Number((c / k).toFixed(3)),
    ...(baseline && {
      medianBaselineCpuUs: us(b),
      baselineRatio: Number((c / b).toFixed(3)),
      cpuAfterOverBaseline: Number((k / b).toFixed(3)),
    }),
  }),
);

async function stop(s: Started): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.disconnect(); // the targets exit on disconnect, so --cpu-prof writes its profile
  await exited;
}
await Promise.all([stop(keyward), stop(ceiling), ...(baseline ? [stop(baseline)] : [])]);
