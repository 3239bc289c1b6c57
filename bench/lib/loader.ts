/**
 * The load generator, in its own process so it never shares an event loop with a server or
 * with the orchestrator's latency probe. Receives one LoadSpec over IPC, answers one LoadResult.
 */
import autocannon from 'autocannon';
import { signatureHeaders } from '../../packages/client/src/signing.js';
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
    ...(spec.ctn1 && {
      requests: [
        {
          setupRequest: (req: Record<string, unknown>) => {
            const c = spec.ctn1 as NonNullable<LoadSpec['ctn1']>;
            const path = `${c.path}?n=${i++}`;
            const signed = signatureHeaders({ deviceId: c.deviceId, secret: c.secret, method: 'GET', url: `http://${c.host}${path}` });
            // Lower-case names only: a header sent twice would reach the server joined with ", ".
            const headers = {
              ...(req.headers as Record<string, string>),
              'x-bcot-timestamp': signed['X-BCoT-Timestamp'],
              authorization: signed.Authorization,
              'x-original-uri': path,
            };
            return { ...req, headers };
          },
        },
      ],
    }),
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
