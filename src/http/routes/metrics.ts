import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { KeywardError } from '../../core/errors.js';
import type { Metrics } from '../../metrics/registry.js';
import { METRICS_TOKEN_MESSAGE, metricsAccess } from '../metrics-access.js';
import { errors, INPUT_ERRORS } from '../schemas.js';
import type { App } from '../types.js';

/** The Prometheus text format; `x-media-type` moves it from JSON to this media type in the document (app.ts); the handler sends text, which is not serialized. */
export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const MetricsText = z.string().meta({ 'x-media-type': PROMETHEUS_TEXT, description: 'Prometheus text exposition format 0.0.4' });

/**
 * GET /metrics on the main port. Always registered, so the document and the route table are
 * the same in every configuration; it answers 404 ROUTE_NOT_FOUND (as if absent) when metrics
 * are off or served on KEYWARD_METRICS_PORT instead.
 */
export function registerMetrics(app: App, ctx: Runtime, metrics: Metrics | undefined) {
  const served = ctx.config.metrics.port === undefined ? metrics : undefined;
  const allowed = metricsAccess(ctx.config.metrics.token);
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['ops'],
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        description:
          'Counters, histograms and gauges of this process in the Prometheus text format (docs/performance.md, "Metrics"): verifications by code, gateway decisions, caches, store queries, the invalidation relay, the usage backlog, HTTP responses by status class, and process metrics. No account, key, device or user ids and no secrets, only codes and kinds. Anyone by default; with KEYWARD_METRICS_TOKEN only `Authorization: Bearer <token>` (else 401 UNAUTHORIZED). 404 ROUTE_NOT_FOUND when KEYWARD_METRICS=off or when KEYWARD_METRICS_PORT serves it on its own listener.',
        security: [], // not a management credential: the operator's own token, when set
        response: { 200: MetricsText, ...errors([...INPUT_ERRORS, 'UNAUTHORIZED']) },
      },
    },
    async (req, reply) => {
      if (served === undefined) throw new KeywardError('ROUTE_NOT_FOUND', `No route ${req.method} /metrics`);
      if (!allowed(req.headers.authorization)) {
        reply.header('www-authenticate', 'Bearer');
        throw new KeywardError('UNAUTHORIZED', METRICS_TOKEN_MESSAGE);
      }
      const text = await served.render();
      // A string with a non-JSON content type is sent as is: the route's JSON serializer does not apply.
      return reply.type(served.contentType).header('cache-control', 'no-store').send(text);
    },
  );
}
