import { Agent, request } from 'node:http';

export interface ProbeResult {
  samples: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

/**
 * Microsecond latency of single requests sent one after another on one keep-alive
 * connection, while the load generator (another process) keeps the server busy. autocannon
 * only resolves whole milliseconds; this is how sub-millisecond percentiles are measured.
 */
export async function probeLatency(
  url: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  durationMs: number,
  gapMs = 5,
): Promise<ProbeResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const req = request(url, { method: init.method, headers: init.headers, agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(init.body);
    });
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  agent.destroy();
  samples.sort((a, b) => a - b);
  const at = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0);
  return { samples: samples.length, p50Us: at(0.5), p99Us: at(0.99), maxUs: Math.round(samples[samples.length - 1] ?? 0) };
}
