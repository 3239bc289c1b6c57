/**
 * (j) What Keyward adds to a request behind nginx (issue #15). A real nginx (Debian
 * nginx-light, worker_processes 1) in front of a trivial API (bench/targets/upstream.ts), each
 * row one nginx configuration derived from examples/nginx.conf as shipped, loaded the same way:
 *
 * - nginx alone → API: the example without its `auth_request` line (the baseline);
 * - nginx auth_request → Keyward GET /v1/authorize → API: the example as shipped;
 * - the same with one setting of the example undone (subrequest as GET, no keepalive): what
 *   each setting buys;
 * - nginx → Keyward's own reverse proxy → API (`keyward serve --upstream`);
 * - nginx auth_request → the peer (better-auth verifyApiKey, bench/peer/server.mjs /authorize) → API;
 * - for reference, without nginx: the API alone, and Keyward's reverse proxy alone.
 *
 * Every server (nginx master and worker, Keyward, the API, the peer) runs on CPU 0, wrk on
 * CPU 1: at saturation req/s is the inverse of the CPU all of them spend on a request. Rows are
 * loaded in alternation ROUNDS times, each round twice: with the run's connections (req/s,
 * p50/p99 at saturation) and with 1 connection (the latency a lone request pays). What a row
 * adds over nginx alone is the median over rounds of the difference within the same round.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Started, startTarget, stopTarget } from './lib/child.js';
import { ensurePeerInstalled, median } from './lib/measure.js';
import type { LoadResult, LoadSpec } from './lib/types.js';
import { pinning, runLoad } from './lib/wrk.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const EXAMPLE = here('../examples/nginx.conf');
/** A URI the bench key's scope (device:read) grants in the default catalogue. */
const PATH = '/integration/device/csvExport';

export interface NginxRow {
  name: string;
  description: string;
  /** The row every other is compared with (nginx alone → API). */
  baseline?: boolean;
  /** What one request with the bench key, and one with a wrong key, were answered before the load. */
  probe: string;
  /** At the run's connections: the median round by req/s. */
  load: LoadResult;
  rounds: number[];
  /** CPU of every server process of the row (nginx, Keyward, API, peer), per request, median round. */
  cpuUsPerRequest: number;
  /** With 1 connection: the median round by p50. */
  single: LoadResult;
  /** Median over rounds of (this row − nginx alone) in the same round. */
  added?: { cpuUs: number; p50Us: number; p99Us: number; ratio: number };
}

export interface NginxResult {
  nginx: string;
  pinning: string;
  connections: number;
  durationSeconds: number;
  rounds: number;
  rows: NginxRow[];
  skipped?: string;
}

interface Settings {
  connections: number;
  durationSeconds: number;
  rounds: number;
}

const NGINX_BIN = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find(existsSync);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** utime + stime of a process, µs (Linux /proc, 100 clock ticks a second). */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** One edit of the example that must apply, so a change to the example cannot silently void a row. */
function edit(conf: string, from: string, to: string, times?: number): string {
  const found = conf.split(from).length - 1;
  if (times === undefined ? found === 0 : found !== times)
    throw new Error(`bench/nginx: expected ${times ?? 'some'}× ${JSON.stringify(from)} in examples/nginx.conf, found ${found}`);
  return conf.replaceAll(from, to);
}

interface RunningNginx {
  port: number;
  pids: number[];
  stop(): Promise<void>;
}

/** Starts nginx on a conf (pinned to the servers' CPU: the workers inherit it) and waits until it listens. */
async function startNginx(conf: string, port: number): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-nginx-'));
  // Workers drop to an unprivileged user when nginx runs as root: they must reach the prefix.
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const args = ['-p', dir, '-e', 'stderr', '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'];
  const [cmd, argv] = pinning ? ['taskset', ['-c', pinning.servers, NGINX_BIN as string, ...args]] : [NGINX_BIN as string, args];
  const child: ChildProcess = spawn(cmd, argv as string[], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGQUIT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) {
      const pid = child.pid as number;
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      return { port, pids: [pid, ...(children ? children.split(' ').map(Number) : [])], stop };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`nginx did not start: ${stderr}`);
}

interface Row {
  name: string;
  description: string;
  baseline?: boolean;
  url: string;
  key: string;
  /** Whether a wrong key must be refused (401): the row really asks someone. */
  checksKey: boolean;
  pids: number[];
}

async function probe(row: Row): Promise<string> {
  const ask = async (key: string) => {
    const res = await fetch(row.url, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    return res.status;
  };
  const good = await ask(row.key);
  const bad = await ask('kw_not-a-key-0000');
  const expected = row.checksKey ? 401 : 200;
  if (good !== 200 || bad !== expected) {
    throw new Error(`bench/nginx: ${row.name} answered ${good} to the key and ${bad} to a wrong one (expected 200 and ${expected})`);
  }
  return `${good}; wrong key ${bad}`;
}

interface Sample {
  load: LoadResult;
  cpuUsPerRequest: number;
  single: LoadResult;
}

async function measureRow(row: Row, st: Settings): Promise<Sample> {
  const spec: LoadSpec = {
    url: row.url,
    method: 'GET',
    headers: { authorization: `Bearer ${row.key}` },
    connections: st.connections,
    durationSeconds: st.durationSeconds,
  };
  const before = row.pids.reduce((n, pid) => n + cpuUs(pid), 0);
  const load = await runLoad(spec);
  const used = row.pids.reduce((n, pid) => n + cpuUs(pid), 0) - before;
  const single = await runLoad({ ...spec, connections: 1 });
  return { load, cpuUsPerRequest: load.totalRequests > 0 ? used / load.totalRequests : 0, single };
}

export async function benchNginx(log: (s: string) => void, st: Settings): Promise<NginxResult> {
  const base = { nginx: '', pinning: pinning ? 'every server on CPU 0, wrk on CPU 1' : 'none', ...st, rows: [] };
  if (!NGINX_BIN) return { ...base, skipped: 'no nginx (Debian: apt-get install nginx-light)' };
  ensurePeerInstalled(log);
  const version = await new Promise<string>((resolve) => {
    const c = spawn(NGINX_BIN, ['-v'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let out = '';
    c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', () => resolve(out.trim().replace(/^nginx version: /, '')));
  });
  const api = await startTarget(here('./targets/upstream.ts'));
  const started: Started[] = [api];
  const nginxes: RunningNginx[] = [];
  try {
    const apiUrl = `http://127.0.0.1:${api.ready.port}`;
    const [keyward, peer] = await Promise.all([
      startTarget(here('./targets/keyward-gateway.ts'), { BENCH_UPSTREAM: apiUrl }),
      startTarget(here('./peer/server.mjs'), {}, { tsx: false }),
    ]);
    started.push(keyward, peer);
    const key = keyward.ready.key as string;
    const example = readFileSync(EXAMPLE, 'utf8');
    /** The example with its addresses replaced: callers' port, the authorizer's, the API's. */
    const nginxRow = async (name: string, description: string, make: (conf: string) => string, ports: { auth: number; api: number }) => {
      const port = await freePort();
      let conf = edit(example, '127.0.0.1:8000', `127.0.0.1:${port}`);
      conf = edit(conf, '127.0.0.1:8080', `127.0.0.1:${ports.auth}`);
      conf = edit(conf, '127.0.0.1:9000', `127.0.0.1:${ports.api}`);
      const n = await startNginx(make(conf), port);
      nginxes.push(n);
      return { name, description, url: `http://127.0.0.1:${port}${PATH}`, pids: n.pids };
    };
    const kwPorts = { auth: keyward.ready.port, api: api.ready.port };
    const noAuth = (c: string) => edit(c, '      auth_request /_keyward;\n', '', 1);
    const alone = await nginxRow('nginx → API', 'examples/nginx.conf without its auth_request line', noAuth, kwPorts);
    const rows: Row[] = [{ ...alone, baseline: true, key, checksKey: false, pids: [...alone.pids, api.child.pid as number] }];
    const push = async (
      name: string,
      description: string,
      make: (c: string) => string,
      ports: { auth: number; api: number },
      via: Started[],
      rowKey = key,
    ) => {
      const r = await nginxRow(name, description, make, ports);
      rows.push({ ...r, key: rowKey, checksKey: true, pids: [...r.pids, ...via.map((s) => s.child.pid as number)] });
    };
    await push('nginx auth_request → Keyward → API', 'examples/nginx.conf as shipped', (c) => c, kwPorts, [keyward, api]);
    await push(
      '… subrequest as GET',
      'as shipped but without `proxy_method HEAD`: Keyward’s 200 has a body, so nginx closes the connection to Keyward after each subrequest',
      (c) => edit(c, '      proxy_method HEAD;\n', '', 1),
      kwPorts,
      [keyward, api],
    );
    await push(
      '… no keepalive',
      'as shipped but without the two `keepalive 32` lines: a new connection to Keyward and to the API per request',
      (c) => edit(c, '    keepalive 32;\n', '', 2),
      kwPorts,
      [keyward, api],
    );
    await push(
      'nginx → Keyward proxy → API',
      'the example without auth_request, passing Authorization on, to Keyward in reverse-proxy mode (KEYWARD_UPSTREAM = the API)',
      (c) => edit(noAuth(c), '      proxy_set_header Authorization "";\n', '', 1),
      { auth: keyward.ready.port, api: keyward.ready.port },
      [keyward, api],
    );
    await push(
      'nginx auth_request → peer → API',
      'examples/nginx.conf with the peer (better-auth verifyApiKey, bench/peer /authorize: 204 or 401) instead of Keyward',
      (c) => edit(c, 'proxy_pass http://keyward/v1/authorize;', 'proxy_pass http://keyward/authorize;', 1),
      { auth: peer.ready.port, api: api.ready.port },
      [peer, api],
      peer.ready.key as string,
    );
    rows.push(
      {
        name: 'reference: API alone',
        description: 'wrk → the API, no nginx',
        url: `${apiUrl}${PATH}`,
        key,
        checksKey: false,
        pids: [api.child.pid as number],
      },
      {
        name: 'reference: Keyward proxy → API',
        description: 'wrk → Keyward in reverse-proxy mode, no nginx',
        url: `http://127.0.0.1:${keyward.ready.port}${PATH}`,
        key,
        checksKey: true,
        pids: [keyward.child.pid as number, api.child.pid as number],
      },
    );
    const probes = new Map<Row, string>();
    for (const row of rows) probes.set(row, await probe(row));
    for (const row of rows)
      await runLoad({
        url: row.url,
        method: 'GET',
        headers: { authorization: `Bearer ${row.key}` },
        connections: st.connections,
        durationSeconds: 2,
      });
    const samples = new Map<Row, Sample[]>();
    for (let r = 0; r < st.rounds; r++) {
      for (const row of rows) {
        log(`nginx, round ${r + 1}/${st.rounds}: ${row.name}`);
        samples.set(row, [...(samples.get(row) ?? []), await measureRow(row, st)]);
      }
    }
    const baseline = samples.get(rows[0] as Row) ?? [];
    const out: NginxRow[] = rows.map((row) => {
      const all = samples.get(row) ?? [];
      const diff = (f: (s: Sample) => number) =>
        median(
          all.map((s, i) => f(s) - f(baseline[i] as Sample)),
          (x) => x,
        );
      const result: NginxRow = {
        name: row.name,
        description: row.description,
        probe: probes.get(row) as string,
        load: median(all, (s) => s.load.requestsPerSecond).load,
        rounds: all.map((s) => Math.round(s.load.requestsPerSecond)),
        cpuUsPerRequest: median(all, (s) => s.cpuUsPerRequest).cpuUsPerRequest,
        single: median(all, (s) => s.single.latencyUs.p50).single,
      };
      if (row.baseline) result.baseline = true;
      else {
        result.added = {
          cpuUs: diff((s) => s.cpuUsPerRequest),
          p50Us: diff((s) => s.single.latencyUs.p50),
          p99Us: diff((s) => s.single.latencyUs.p99),
          ratio: median(
            all.map((s, i) => s.load.requestsPerSecond / Math.max(1, (baseline[i] as Sample).load.requestsPerSecond)),
            (x) => x,
          ),
        };
      }
      return result;
    });
    return { ...base, nginx: version, rows: out };
  } finally {
    for (const n of nginxes) await n.stop();
    for (const s of started) await stopTarget(s);
  }
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const lat = (us: number) => (us < 1000 ? `${Math.round(us)} µs` : `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`);
const signed = (n: number) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(0)} µs`;

/** The report's section for (j). */
export function renderNginx(r: NginxResult): string[] {
  const lines = ['', `**Behind nginx** (issue #15, bench/nginx.ts): ${r.skipped ? `skipped (${r.skipped})` : ''}`];
  if (r.skipped) return lines;
  lines[1] +=
    `${r.nginx}, worker_processes 1; each row a configuration derived from examples/nginx.conf, in front of a bare node:http API; GET ${PATH} with a Bearer key. ` +
    `Pinning: ${r.pinning} (nginx master and worker, Keyward, the peer and the API share CPU 0). ${r.rounds} interleaved rounds; each round ${r.connections} connections (req/s, p50/p99 at saturation, CPU of the row's server processes per request) ` +
    `then 1 connection (p50/p99 of a lone request); "added" = median over rounds of (row − nginx → API) in the same round.`;
  lines.push(
    '',
    '| row | answers | req/s | p50 | p99 | vs nginx alone | CPU / req | added CPU / req | 1 conn p50 | 1 conn p99 | added 1 conn p50 | errors / status ≥ 400 |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const row of r.rows) {
    const l = row.load;
    const a = row.added;
    lines.push(
      `| ${row.baseline ? `**${row.name}**` : row.name} | ${row.probe} | ${int(l.requestsPerSecond)} | ${lat(l.latencyUs.p50)} | ${lat(l.latencyUs.p99)} | ` +
        `${a ? `${(a.ratio * 100).toFixed(0)} %` : '-'} | ${row.cpuUsPerRequest.toFixed(1)} µs | ${a ? signed(a.cpuUs) : '-'} | ` +
        `${lat(row.single.latencyUs.p50)} | ${lat(row.single.latencyUs.p99)} | ${a ? signed(a.p50Us) : '-'} | ${l.errors + l.timeouts} / ${l.non2xx} |`,
    );
  }
  const find = (name: string) => r.rows.find((x) => x.name === name);
  const shipped = find('nginx auth_request → Keyward → API');
  const peer = find('nginx auth_request → peer → API');
  if (shipped && peer) {
    lines.push(
      '',
      `On the path users deploy (nginx auth_request, examples/nginx.conf): Keyward ${int(shipped.load.requestsPerSecond)} req/s vs the peer's ${int(peer.load.requestsPerSecond)} ` +
        `(**${(shipped.load.requestsPerSecond / Math.max(1, peer.load.requestsPerSecond)).toFixed(1)}×**); added CPU per request over nginx alone ` +
        `${shipped.added ? signed(shipped.added.cpuUs) : '-'} vs ${peer.added ? signed(peer.added.cpuUs) : '-'}.`,
    );
  }
  lines.push('', `Rounds (req/s): ${r.rows.map((x) => `${x.name} ${x.rounds.map(int).join(' / ')}`).join('; ')}.`);
  return lines;
}
