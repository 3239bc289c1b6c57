/**
 * The load generator, in its own process so it never shares an event loop with a server or
 * with the orchestrator's latency probe. Receives one LoadSpec over IPC, answers one LoadResult.
 */
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './types.js';

process.once('message', async (spec: LoadSpec) => {
  let i = 0;
  const bodies = spec.bodies;
  const result = await autocannon({
    url: spec.url,
    method: spec.method,
    headers: spec.headers,
    connections: spec.connections,
    duration: spec.durationSeconds,
    ...(spec.overallRate !== undefined && { overallRate: spec.overallRate }),
    ...(bodies && bodies.length === 1 && { body: bodies[0] }),
    ...(bodies &&
      bodies.length > 1 && {
        // Rotate through the bodies so caches see many distinct keys.
        requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
      }),
  });
  const out: LoadResult = {
    requestsPerSecond: result.requests.average,
    totalRequests: result.requests.total,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  process.send?.(out, () => process.exit(0));
});
