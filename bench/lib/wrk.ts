/**
 * The load generator: wrk (C, Debian package `wrk`), one thread, in its own process on its
 * own CPU when the machine has two or more (servers run on CPU 0, wrk on CPU 1; see
 * `pinning`). wrk resolves microseconds and costs far less CPU per request than a Node load
 * generator, so on a small machine the servers, not the generator, set the pace.
 *
 * Requests that vary (many keys, freshly signed CTN1 requests) are written to a data file, one
 * request per line, and formatted once in the script's init(), so wrk's per-request work is a
 * table lookup.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { signatureHeaders } from '../../packages/client/src/signing.js';
import type { LoadResult, LoadSpec } from './types.js';

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** wrk from Debian's packages, installed on first use when we may (root), else a clear error. */
export function ensureWrk(log: (s: string) => void): string {
  if (has('wrk')) return wrkVersion();
  if (process.getuid?.() === 0 && has('apt-get')) {
    log('installing wrk (Debian package) ...');
    execFileSync('sh', [
      '-c',
      'apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1)',
    ]);
  }
  if (!has('wrk')) throw new Error('npm run bench needs wrk on the PATH (Debian/Ubuntu: apt-get install wrk)');
  return wrkVersion();
}

function wrkVersion(): string {
  const out = execFileSync('sh', ['-c', 'wrk --version 2>&1 || true']).toString();
  return /wrk [^\s]+/.exec(out)?.[0] ?? 'wrk';
}

/** Servers on CPU 0, the load generator on CPU 1: only when there are two CPUs and taskset. */
export const pinning: { servers: string; load: string } | undefined =
  cpus().length >= 2 && has('taskset') ? { servers: '0', load: '1' } : undefined;

/** Pins a server process (every thread of it) to the servers' CPU. */
export function pinServer(pid: number | undefined): void {
  if (pinning && pid !== undefined) execFileSync('taskset', ['-apc', pinning.servers, String(pid)], { stdio: 'ignore' });
}

/** A Lua string literal for printable ASCII (all the benchmark sends). */
function lua(s: string): string {
  if (!/^[\x20-\x7e]*$/.test(s)) throw new Error(`bench: not printable ASCII: ${s.slice(0, 40)}`);
  return JSON.stringify(s);
}

/** One varying request: path, body, extra headers. Tabs separate fields in the data file. */
interface Line {
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

function linesFor(spec: LoadSpec): Line[] | undefined {
  const path = new URL(spec.url).pathname;
  if (spec.ctn1) {
    const c = spec.ctn1;
    // Enough distinct signatures for the run at a rate no target here reaches: none repeats.
    const count = Math.max(10_000, spec.durationSeconds * 25_000);
    const stamp = Date.now().toString(36);
    return Array.from({ length: count }, (_, i) => {
      const signedPath = `${c.path}?n=${stamp}-${i}`;
      const signed = signatureHeaders({ deviceId: c.deviceId, secret: c.secret, method: 'GET', url: `http://${c.host}${signedPath}` });
      return {
        path,
        headers: { 'x-bcot-timestamp': signed['X-BCoT-Timestamp'], authorization: signed.Authorization, 'x-original-uri': signedPath },
      };
    });
  }
  if (spec.headerSets && spec.headerSets.length > 0) return spec.headerSets.map((headers) => ({ path, headers }));
  if (spec.bodies && spec.bodies.length > 1) return spec.bodies.map((body) => ({ path, body }));
  return undefined;
}

function script(spec: LoadSpec, dataFile: string | undefined): string {
  const out = [`wrk.method = ${lua(spec.method)}`];
  for (const [name, value] of Object.entries(spec.headers)) out.push(`wrk.headers[${lua(name)}] = ${lua(value)}`);
  const single = spec.bodies?.length === 1 ? spec.bodies[0] : undefined;
  if (single !== undefined) out.push(`wrk.body = ${lua(single)}`);
  if (dataFile) {
    out.push(
      'local reqs, n, i = {}, 0, 0',
      'function init(args)',
      `  for line in io.lines(${lua(dataFile)}) do`,
      '    local f = {}',
      '    for field in (line .. "\\t"):gmatch("([^\\t]*)\\t") do f[#f + 1] = field end',
      '    local headers = {}',
      '    for k, v in pairs(wrk.headers) do headers[k] = v end',
      '    for j = 3, #f do',
      '      local name, value = f[j]:match("^([^:]+): (.*)$")',
      '      headers[name] = value',
      '    end',
      '    n = n + 1',
      '    reqs[n] = wrk.format(nil, f[1], headers, f[2] ~= "" and f[2] or nil)',
      '  end',
      'end',
      'function request()',
      '  i = i + 1',
      '  if i > n then i = 1 end',
      '  return reqs[i]',
      'end',
    );
  }
  if (spec.delayMs !== undefined) out.push(`function delay() return ${Math.max(1, Math.round(spec.delayMs))} end`);
  out.push(
    'function done(s, l, r)',
    '  io.write(string.format(\'WRKJSON {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' +
      '"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}\\n\',',
    '    s.requests, s.duration, s.errors.connect, s.errors.read, s.errors.write, s.errors.status, s.errors.timeout,',
    '    l:percentile(50), l:percentile(90), l:percentile(99), l:percentile(99.9), l.max, l.mean))',
    'end',
  );
  return `${out.join('\n')}\n`;
}

/** Runs one wrk load as the spec says and reads its summary. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-wrk-'));
  try {
    const lines = linesFor(spec);
    const dataFile = lines ? join(dir, 'requests.tsv') : undefined;
    if (dataFile && lines) {
      const row = (l: Line) => [l.path, l.body ?? '', ...Object.entries(l.headers ?? {}).map(([k, v]) => `${k}: ${v}`)].join('\t');
      writeFileSync(dataFile, `${lines.map(row).join('\n')}\n`);
    }
    const scriptFile = join(dir, 'load.lua');
    writeFileSync(scriptFile, script(spec, dataFile));
    const args = ['-t1', `-c${spec.connections}`, `-d${spec.durationSeconds}s`, '--timeout', '10s', '-s', scriptFile, spec.url];
    const [cmd, argv] = pinning ? ['taskset', ['-c', pinning.load, 'wrk', ...args]] : ['wrk', args];
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(cmd, argv as string[], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
    });
    const json = /WRKJSON (\{.*\})/.exec(output)?.[1];
    if (!json) throw new Error(`wrk printed no summary: ${output}`);
    const s = JSON.parse(json) as Record<string, number>;
    const n = (k: string) => s[k] ?? 0;
    return {
      requestsPerSecond: n('requests') / (n('durationUs') / 1e6),
      totalRequests: n('requests'),
      latencyUs: { p50: n('p50'), p90: n('p90'), p99: n('p99'), p999: n('p999'), max: n('max'), mean: n('mean') },
      non2xx: n('status'),
      errors: n('connect') + n('read') + n('write'),
      timeouts: n('timeout'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
