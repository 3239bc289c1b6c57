import { type NginxResult, renderNginx } from './nginx.js';
import type { PropagationResult } from './propagation.js';
import type { RateLimitResult } from './ratelimit.js';
import type { MetricsCostResult, ScaleResult, TargetResult } from './run.js';
import type { WorkersResult } from './workers.js';

interface Results {
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string };
  settings: { connections: number; durationSeconds: number; rounds: number; scale: string[]; loadGenerator: string; pinning?: string };
  targets: TargetResult[];
  metricsCost?: MetricsCostResult | undefined;
  scale: ScaleResult[];
  propagation?: PropagationResult[];
  workers?: WorkersResult[];
  /** When each part was measured: a run of some parts keeps the others from an earlier run. */
  partsRunAt?: Record<string, string>;
  ratelimit?: RateLimitResult | undefined;
  nginx?: NginxResult | undefined;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${(n * 100).toFixed(0)} %`;
/** A latency given in µs, shown in µs below a millisecond. */
const lat = (us: number) => (us < 1000 ? `${Math.round(us)} µs` : `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`);

/** The short table committed next to latest.json. */
export function renderMarkdown(r: Results): string {
  const ceiling = r.targets.find((t) => t.group === 'ceiling')?.load?.requestsPerSecond ?? 0;
  const peer = r.targets.find((t) => t.group === 'peer')?.load?.requestsPerSecond ?? 0;
  const ceilingCpu = r.targets.find((t) => t.group === 'ceiling')?.cpuUsPerRequest ?? 0;
  const lines = [
    `# Keyward benchmark — ${r.startedAt}`,
    '',
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node}. ` +
      `Load: ${r.settings.loadGenerator}, ${r.settings.connections} connections, ${r.settings.durationSeconds} s per run (after 2 s warm-up), loopback. ` +
      `Pinning: ${r.settings.pinning ?? 'none'}. ` +
      `Ceiling, Keyward verify and authorize (with and without a rate limit) and the peer run ${r.settings.rounds} interleaved rounds each; the median round is shown.`,
    '',
    '| target | req/s | p50 | p99 | vs ceiling | vs peer | server CPU / req | CPU vs ceiling | errors / status ≥ 400 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const t of r.targets) {
    if (t.skipped || !t.load) {
      lines.push(`| ${t.name} | skipped: ${t.skipped} | | | | | | | |`);
      continue;
    }
    const l = t.load;
    lines.push(
      `| ${t.name} | ${int(l.requestsPerSecond)} | ${lat(l.latencyUs.p50)} | ${lat(l.latencyUs.p99)} | ${ceiling ? pct(l.requestsPerSecond / ceiling) : '-'} | ${peer ? `${(l.requestsPerSecond / peer).toFixed(1)}×` : '-'} | ${t.cpuUsPerRequest ? `${t.cpuUsPerRequest.toFixed(1)} µs` : '-'} | ${t.cpuUsPerRequest && ceilingCpu ? `${(t.cpuUsPerRequest / ceilingCpu).toFixed(2)}×` : '-'} | ${l.errors + l.timeouts} / ${l.non2xx} |`,
    );
  }
  lines.push(...gatewayTargets(r.targets));
  const halves = r.targets.filter((t) => t.halfLoad);
  if (halves.length > 0) {
    const ceilingHalf = r.targets.find((t) => t.group === 'ceiling')?.halfLoad;
    lines.push(
      '',
      '**Latency at 50 % of the measured maximum** (every request timed by wrk; connections pause 1 ms between a response and their next request, their number calibrated to reach half the maximum):',
      '',
    );
    lines.push(
      '| target | rate aimed / reached | connections | p50 | p90 | p99 | p99.9 | max | p99 vs ceiling |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const t of halves) {
      const h = t.halfLoad;
      if (!h) continue;
      const l = h.load.latencyUs;
      const vs = ceilingHalf && t.group !== 'ceiling' ? `${(l.p99 / Math.max(1, ceilingHalf.load.latencyUs.p99)).toFixed(2)}×` : '-';
      lines.push(
        `| ${t.name} | ${int(h.target)} / ${int(h.load.requestsPerSecond)} | ${h.connections} | ${lat(l.p50)} | ${lat(l.p90)} | ${lat(l.p99)} | ${lat(l.p999)} | ${lat(l.max)} | ${vs} |`,
      );
    }
  }
  const m = r.metricsCost;
  if (m) {
    lines.push(
      '',
      `**Metrics cost** (POST /v1/keys/verify, valid key, two Keyward processes loaded in ${m.on.length} interleaved rounds, one with KEYWARD_METRICS=off): ` +
        `req/s with metrics on / off = **${m.ratio.toFixed(3)}** (median of the rounds' ratios; target ≥ 0.95); rounds on ${m.on.map(int).join(', ')} vs off ${m.off.map(int).join(', ')}; ` +
        `server CPU per request ${m.cpuUsPerRequestOn.toFixed(1)} µs on vs ${m.cpuUsPerRequestOff.toFixed(1)} µs off (off / on = ${(m.cpuUsPerRequestOff / Math.max(0.001, m.cpuUsPerRequestOn)).toFixed(3)}: the steadier measure on a shared machine).`,
    );
  }
  if (r.scale.length > 0) {
    lines.push(
      '',
      '**Store scale** (SQLite file, keys seeded through the store repos in batched transactions; HTTP verify rotates over up to 100k real keys, then every sample key is looked up in-process so the cache holds up to its 100k bound when RSS is read; ' +
        'store lookup = the uncached indexed read, timed in-process over 2000 random sample keys):',
      '',
    );
    lines.push(
      '| keys | seed | db size | start → first verify | RSS (cache filled) | cache entries | req/s (HTTP) | p99 at max | p50 / p99 at 50 % | store lookup p50 / p99 |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of r.scale) {
      lines.push(
        `| ${int(s.keys)} | ${s.seedSeconds.toFixed(1)} s | ${s.dbMegabytes.toFixed(0)} MB | ${int(s.startMs)} ms | ${s.rssMegabytes.toFixed(0)} MB | ${int(s.cacheEntries)} | ${int(s.load.requestsPerSecond)} | ${lat(s.load.latencyUs.p99)} | ${lat(s.half.load.latencyUs.p50)} / ${lat(s.half.load.latencyUs.p99)} | ${s.storeLookup.p50Us} / ${s.storeLookup.p99Us} µs |`,
      );
    }
  }
  const cold = r.scale.flatMap((s) =>
    [
      ['POST /v1/keys/verify', s.verify],
      ['GET /v1/authorize (bearer)', s.authorize],
    ].flatMap(([name, x]) => (x && typeof x === 'object' ? [{ keys: s.keys, name: name as string, x }] : [])),
  );
  if (cold.length > 0) {
    lines.push(
      '',
      '**Cold keys** (issue #15: each route rotates over up to 100k distinct sample keys after a 2 s warm-up, from a verification cache emptied after it; ' +
        'the bare node:http ceiling is loaded right before each route with the same connections and duration; store reads / req = cache misses that read the store, per request of the measured run; ' +
        'targets: ≥ 50 % of the ceiling, p99 at maximum load < 20 ms):',
      '',
      '| keys | route | req/s | vs ceiling (req/s) | server CPU / req | ceiling CPU / req vs route | store reads / req | p50 / p99 at max | p99 at 50 % | ceiling req/s |',
      '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const { keys, name, x } of cold) {
      const l = x.load;
      const c = x.ceiling;
      lines.push(
        `| ${int(keys)} | ${name} | ${int(l.requestsPerSecond)} | **${pct(l.requestsPerSecond / Math.max(1, c.load.requestsPerSecond))}** | ${x.cpuUsPerRequest.toFixed(1)} µs | ${pct(c.cpuUsPerRequest / Math.max(0.001, x.cpuUsPerRequest))} | ${x.loadsPerRequest.toFixed(2)} | ${lat(l.latencyUs.p50)} / **${lat(l.latencyUs.p99)}** | ${lat(x.half.load.latencyUs.p99)} | ${int(c.load.requestsPerSecond)} |`,
      );
    }
  }
  if (r.propagation && r.propagation.length > 0) {
    lines.push(
      '',
      '**Revocation propagation** (3 Keyward nodes, each its own process, on one database; a key cached on B and C is revoked on A; ' +
        'time from A’s acknowledgement until B, and C, answer REVOKED, asked back to back over HTTP; one sample per node and revocation):',
      '',
      '| relay | setup | samples | p50 | p99 | max |',
      '|---|---|---:|---:|---:|---:|',
    );
    for (const p of r.propagation) {
      if (p.skipped) lines.push(`| ${p.relay} | ${p.description} | skipped: ${p.skipped} | | | |`);
      else lines.push(`| ${p.relay} | ${p.description} | ${p.samples} | ${p.p50Ms} ms | ${p.p99Ms} ms | ${p.maxMs} ms |`);
    }
  }
  if (r.workers && r.workers.length > 0) {
    lines.push(
      '',
      '**Workers** (`keyward serve --workers N`, the real CLI on a fresh SQLite store, POST /v1/keys/verify of one key; wrk unpinned, so the load generator shares the 2 cores with the workers; ' +
        'CPU = every Keyward process, primary included, per request):',
      '',
      '| setup | connections | scheduling | req/s | p50 | p99 | CPU / req | CPU share per process |',
      '|---|---|---|---:|---:|---:|---:|---|',
    );
    for (const w of r.workers) {
      const share = Object.entries(w.cpuShare)
        .map(([k, v]) => `${k} ${v} %`)
        .join(', ');
      lines.push(
        `| ${w.label} | ${w.close ? 'new per request' : 'keep-alive'} | ${w.policy} | ${int(w.load.requestsPerSecond)} | ${lat(w.load.latencyUs.p50)} | ${lat(w.load.latencyUs.p99)} | ${w.cpuUsPerRequest.toFixed(1)} µs | ${share} |`,
      );
    }
  }
  if (r.ratelimit) lines.push(...renderRateLimits(r.ratelimit));
  if (r.nginx) lines.push(...renderNginx(r.nginx));
  const older = Object.entries(r.partsRunAt ?? {}).filter(([, at]) => at !== r.startedAt);
  if (older.length > 0) {
    lines.push(
      '',
      `Parts kept from earlier runs (not measured at ${r.startedAt}): ${older.map(([part, at]) => `${part} at ${at}`).join(', ')}.`,
    );
  }
  const rounds = r.targets.filter((t) => t.rounds);
  if (rounds.length > 0) {
    lines.push('', `Rounds (req/s): ${rounds.map((t) => `${t.name.split(':')[0]} ${t.rounds?.map(int).join(' / ')}`).join('; ')}.`);
  }
  lines.push(
    '',
    "Latencies are wrk's, per request, in µs resolution. With the servers pinned to one CPU, req/s is the inverse of the server's CPU per request; " +
      'the CPU column is the steadier of the two on a shared machine.',
    '',
  );
  return `${lines.join('\n')}\n`;
}

/** Issue #15's targets, read off the http part's rows: each a ratio of the ceiling in the same run. */
function gatewayTargets(targets: TargetResult[]): string[] {
  const find = (prefix: string) => targets.find((t) => t.name.startsWith(prefix) && t.load);
  const ceiling = find('ceiling:');
  if (ceiling?.load === undefined) return [];
  const rate = (t: TargetResult | undefined) => (t?.load ? pct(t.load.requestsPerSecond / ceiling.load!.requestsPerSecond) : '-');
  const cpu = (t: TargetResult | undefined) =>
    t?.cpuUsPerRequest && ceiling.cpuUsPerRequest ? `${(t.cpuUsPerRequest / ceiling.cpuUsPerRequest).toFixed(2)}×` : '-';
  const p99 = (t: TargetResult | undefined) =>
    t?.halfLoad && ceiling.halfLoad
      ? `${(t.halfLoad.load.latencyUs.p99 / Math.max(1, ceiling.halfLoad.load.latencyUs.p99)).toFixed(2)}×`
      : '-';
  const verify = find('keyward: POST /v1/keys/verify');
  const authorize = find('keyward: GET /v1/authorize (bearer)');
  const verifyLimited = find('keyward: verify, key with one limit');
  const authorizeLimited = find('keyward: authorize bearer, key with one limit');
  return [
    '',
    `**Gateway path (issue #15)**, req/s as a share of the ceiling's in the same run (CPU per request as a multiple of the ceiling's in brackets): ` +
      `verify **${rate(verify)}** (${cpu(verify)}; target ≥ 80 %), authorize bearer **${rate(authorize)}** (${cpu(authorize)}; target ≥ 65 %); ` +
      `with one rate limit: verify ${rate(verifyLimited)} (${cpu(verifyLimited)}), authorize bearer ${rate(authorizeLimited)} (${cpu(authorizeLimited)}). ` +
      `p99 at 50 % load against the ceiling's: verify ${p99(verify)}, authorize ${p99(authorize)} (target ≤ 1.2×).`,
  ];
}

const LIMITS: Record<string, string> = {
  none: 'no limit',
  one: '1 limit',
  three: '3 limits',
  over: 'over its limit (flood)',
};

/** (i) Rate limits: each row against the same path without limits, in the same process and rounds. */
function renderRateLimits(rl: RateLimitResult): string[] {
  const lines = [
    '',
    '**Rate limits** (issue #12; each setup one server process, its rows loaded in interleaved rounds; limits of 10⁶ a second, 10⁸ a minute and 10⁹ an hour, so every request takes the allowed path, ' +
      'except "over its limit": 1 a day, already used; "vs no limit" = median over rounds of req/s ÷ req/s of the same path without limits in the same round, target ≥ 0.85 for one limit on a single node; ' +
      'CPU vs no limit = server CPU per request without limits ÷ this row’s; Redis script calls are counted by the shared Redis, so other clients can only add to them):',
    '',
  ];
  for (const s of rl.setups) lines.push(`- ${s.setup}: ${s.skipped ? `skipped (${s.skipped})` : s.description}`);
  lines.push(
    '',
    '| setup | path | key | answer | req/s | p50 | p99 | vs no limit | CPU / req | CPU vs no limit | Redis calls / req | refused from memory / req |',
    '|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const row of rl.rows) {
    const l = row.load;
    const opt = (n: number | undefined, f: (n: number) => string) => (n === undefined ? '-' : f(n));
    lines.push(
      `| ${row.setup} | ${row.path} | ${LIMITS[row.limits] ?? row.limits} | ${row.answer} | ${int(l.requestsPerSecond)} | ${lat(l.latencyUs.p50)} | ${lat(l.latencyUs.p99)} | ` +
        `${opt(row.ratio, (n) => `**${n.toFixed(2)}**`)} | ${row.cpuUsPerRequest.toFixed(1)} µs | ${opt(row.cpuRatio, (n) => n.toFixed(2))} | ` +
        `${opt(row.redisCallsPerRequest, (n) => n.toFixed(2))} | ${opt(row.rememberedPerRequest, (n) => n.toFixed(2))} |`,
    );
  }
  const find = (setup: string, limits: string) => rl.rows.find((x) => x.setup === setup && x.limits === limits && x.path !== 'authorize');
  const kw = find('single node', 'one');
  const peer = find('peer (better-auth)', 'one');
  if (kw && peer) {
    lines.push(
      '',
      `Like for like, one rate limit per key, single process: Keyward verify ${int(kw.load.requestsPerSecond)} req/s vs the peer's ${int(peer.load.requestsPerSecond)} req/s ` +
        `(**${(kw.load.requestsPerSecond / Math.max(1, peer.load.requestsPerSecond)).toFixed(1)}×**), server CPU per request ${kw.cpuUsPerRequest.toFixed(1)} µs vs ${peer.cpuUsPerRequest.toFixed(1)} µs. ` +
        `Rounds (req/s): ${rl.rows.map((x) => `${x.setup} ${x.path} ${x.limits} ${x.rounds.map(int).join(' / ')}`).join('; ')}.`,
    );
  }
  return lines;
}
