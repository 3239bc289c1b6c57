import type { ScaleResult, TargetResult } from './run.js';

interface Results {
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string };
  settings: { connections: number; durationSeconds: number; rounds: number; scale: string[]; loadGenerator: string };
  targets: TargetResult[];
  scale: ScaleResult[];
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${(n * 100).toFixed(0)} %`;
const ms = (n: number) => (n === 0 ? '<1 ms' : `${n} ms`);

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
      `Ceiling, Keyward verify and the peer run ${r.settings.rounds} interleaved rounds each; the median round is shown.`,
    '',
    '| target | req/s | p50 | p99 | vs ceiling | vs peer | server CPU / req | CPU vs ceiling | errors / non-2xx |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const t of r.targets) {
    if (t.skipped || !t.load) {
      lines.push(`| ${t.name} | skipped: ${t.skipped} | | | | | | | |`);
      continue;
    }
    const l = t.load;
    lines.push(
      `| ${t.name} | ${int(l.requestsPerSecond)} | ${ms(l.latencyMs.p50)} | ${ms(l.latencyMs.p99)} | ${ceiling ? pct(l.requestsPerSecond / ceiling) : '-'} | ${peer ? `${(l.requestsPerSecond / peer).toFixed(1)}×` : '-'} | ${t.cpuUsPerRequest ? `${t.cpuUsPerRequest.toFixed(1)} µs` : '-'} | ${t.cpuUsPerRequest && ceilingCpu ? `${(t.cpuUsPerRequest / ceilingCpu).toFixed(2)}×` : '-'} | ${l.errors + l.timeouts} / ${l.non2xx} |`,
    );
  }
  const halves = r.targets.filter((t) => t.halfLoad);
  if (halves.length > 0) {
    lines.push('', '**Latency at 50 % of the measured maximum** (open-loop load in one process, a 1-connection probe in another, µs):', '');
    lines.push('| target | rate (req/s) | probe p50 | probe p99 | probe max | autocannon p99 |', '|---|---:|---:|---:|---:|---:|');
    for (const t of halves) {
      const h = t.halfLoad;
      if (!h) continue;
      lines.push(
        `| ${t.name} | ${int(h.rate)} | ${h.probe.p50Us} µs | ${h.probe.p99Us} µs | ${h.probe.maxUs} µs | ${ms(h.load.latencyMs.p99)} |`,
      );
    }
  }
  if (r.scale.length > 0) {
    lines.push(
      '',
      '**Store scale** (SQLite file, keys seeded through the store repos in batched transactions; HTTP verify rotates over up to 100k real keys, then every sample key is looked up in-process so the cache holds up to its 100k bound when RSS is read; ' +
        'store lookup = the uncached indexed read, timed in-process over 2000 random sample keys):',
      '',
    );
    lines.push(
      '| keys | seed | db size | start → first verify | RSS (cache filled) | cache entries | req/s (HTTP) | p99 (autocannon) | probe p50 / p99 at 50 % | store lookup p50 / p99 |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of r.scale) {
      lines.push(
        `| ${int(s.keys)} | ${s.seedSeconds.toFixed(1)} s | ${s.dbMegabytes.toFixed(0)} MB | ${int(s.startMs)} ms | ${s.rssMegabytes.toFixed(0)} MB | ${int(s.cacheEntries)} | ${int(s.load.requestsPerSecond)} | ${ms(s.load.latencyMs.p99)} | ${s.probe.p50Us} / ${s.probe.p99Us} µs | ${s.storeLookup.p50Us} / ${s.storeLookup.p99Us} µs |`,
      );
    }
  }
  const rounds = r.targets.filter((t) => t.rounds);
  if (rounds.length > 0) {
    lines.push('', `Rounds (req/s): ${rounds.map((t) => `${t.name.split(':')[0]} ${t.rounds?.map(int).join(' / ')}`).join('; ')}.`);
  }
  lines.push(
    '',
    'autocannon resolves whole milliseconds: `<1 ms` means its histogram bucket was 0. ' +
      'Targets that rotate many request bodies are limited by the load generator (autocannon rebuilds each request): compare their CPU per request, not req/s.',
    '',
  );
  return `${lines.join('\n')}\n`;
}
