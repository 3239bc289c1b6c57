/**
 * (g) `keyward serve --workers N` on this machine: verify throughput and CPU per request with
 * 1 worker (one process, no cluster) and 2 workers, under each node:cluster scheduling policy
 * (rr: the primary accepts and hands connections round-robin; none: the workers accept from the
 * shared socket themselves). The real CLI, a fresh SQLite store, wrk unpinned: the load
 * generator shares the 2 cores with the workers, which is what this measures honestly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult } from './lib/types.js';
import { runLoad } from './lib/wrk.js';

const BIN = fileURLToPath(new URL('../bin/keyward.mjs', import.meta.url));
const OPERATOR = { email: 'operator@bench.local', password: 'operator-password-1' };

export interface WorkersResult {
  label: string;
  workers: number;
  /** A new connection per request (`connection: close`) rather than keep-alive. */
  close: boolean;
  policy: 'rr' | 'none' | '-';
  load: LoadResult;
  /** CPU time of every Keyward process (primary and workers) per request, µs. */
  cpuUsPerRequest: number;
  /** The same, per process: how the work was spread. */
  cpuShare: Record<string, number>;
}

/** utime + stime of a process, µs (Linux /proc; clock ticks are 100 per second). */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function start(workers: number, policy: 'rr' | 'none' | '-') {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-workers-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KEYWARD_DATA_DIR: dir,
    KEYWARD_LOG_FORMAT: 'json',
    KEYWARD_LOG_LEVEL: 'warn',
    KEYWARD_BOOTSTRAP_EMAIL: OPERATOR.email,
    KEYWARD_BOOTSTRAP_PASSWORD: OPERATOR.password,
  };
  delete env.KEYWARD_DATABASE_URL;
  delete env.KEYWARD_REDIS_URL;
  if (policy !== '-') env.NODE_CLUSTER_SCHED_POLICY = policy;
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--workers', String(workers)], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /Keyward listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 50);
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
  const pids = [child.pid as number, ...(children ? children.split(' ').map(Number) : [])];
  return {
    base,
    pids,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function json(base: string, path: string, body: unknown, token?: string) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as any;
}

export async function benchWorkers(
  log: (s: string) => void,
  opts: { connections: number; durationSeconds: number },
): Promise<WorkersResult[]> {
  // Keep-alive connections (a gateway's pool), then a new connection per request (a client
  // without keep-alive): the policy decides who accepts, so only the second depends on it.
  const runs: Array<[number, 'rr' | 'none' | '-', boolean]> = [
    [1, '-', false],
    [2, 'rr', false],
    [2, 'none', false],
    [1, '-', true],
    [2, 'rr', true],
    [2, 'none', true],
  ];
  const results: WorkersResult[] = [];
  for (const [workers, policy, close] of runs) {
    const label = `${workers === 1 ? '1 process' : `2 workers, ${policy}`}${close ? ', connection: close' : ', keep-alive'}`;
    log(`workers: ${label} ...`);
    const s = await start(workers, policy);
    try {
      const op = (await json(s.base, '/v1/auth/login', OPERATOR)).token as string;
      const acc = await json(
        s.base,
        '/v1/accounts',
        { name: 'B', admin: { email: 'a@bench.local', name: 'A', password: 'admin-password-1' } },
        op,
      );
      const admin = (await json(s.base, '/v1/auth/login', { email: 'a@bench.local', password: 'admin-password-1' })).token as string;
      const app = await json(s.base, `/v1/accounts/${acc.account.id}/applications`, { name: 'A' }, admin);
      const key = (await json(s.base, `/v1/accounts/${acc.account.id}/applications/${app.id}/keys`, { name: 'k', scopes: [] }, admin))
        .key as string;
      const spec = {
        url: `${s.base}/v1/keys/verify`,
        method: 'POST' as const,
        headers: { 'content-type': 'application/json', ...(close && { connection: 'close' }) },
        bodies: [JSON.stringify({ key })],
        connections: opts.connections,
        durationSeconds: opts.durationSeconds,
      };
      await runLoad({ ...spec, durationSeconds: 2 });
      const before = s.pids.map(cpuUs);
      const load = await runLoad(spec);
      const used = s.pids.map((pid, i) => cpuUs(pid) - (before[i] as number));
      const total = used.reduce((a, b) => a + b, 0);
      const cpuShare: Record<string, number> = {};
      s.pids.forEach((_, i) => {
        cpuShare[i === 0 ? (workers === 1 ? 'process' : 'primary') : `worker ${i}`] = Math.round(
          ((used[i] as number) / Math.max(1, total)) * 100,
        );
      });
      results.push({ label, workers, policy, close, load, cpuUsPerRequest: load.totalRequests ? total / load.totalRequests : 0, cpuShare });
      log(
        `  ${Math.round(load.requestsPerSecond)} req/s, p99 ${load.latencyUs.p99} µs, ${(total / Math.max(1, load.totalRequests)).toFixed(1)} µs CPU/request, share ${JSON.stringify(cpuShare)}`,
      );
    } finally {
      await s.stop();
    }
  }
  return results;
}
