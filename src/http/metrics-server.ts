import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics/registry.js';
import { METRICS_TOKEN_MESSAGE, metricsAccess } from './metrics-access.js';
import { answerInternalError, clientErrorHandler, createNodeServer, writeError } from './node-server.js';
import { newRequestId } from './request-id.js';

export interface MetricsListener {
  /** `http://host:port`, the port chosen when KEYWARD_METRICS_PORT is 0. */
  url: string;
  close(): Promise<void>;
}

/**
 * /metrics on its own listener (KEYWARD_METRICS_PORT, KEYWARD_METRICS_HOST): only GET and
 * HEAD /metrics, with the main port's limits and error envelope; every other path is 404 and
 * any request body is discarded unread. KEYWARD_METRICS_TOKEN applies here too.
 */
export async function listenMetrics(metrics: Metrics, config: Config, logError: (error: unknown) => void): Promise<MetricsListener> {
  const port = config.metrics.port ?? 0;
  const allowed = metricsAccess(config.metrics.token);
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const requestId = newRequestId();
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics') return writeError(res, 'ROUTE_NOT_FOUND', requestId, `No route ${req.method} ${path}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return writeError(res, 'METHOD_NOT_ALLOWED', requestId);
    if (!allowed(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer');
      return writeError(res, 'UNAUTHORIZED', requestId, METRICS_TOKEN_MESSAGE);
    }
    metrics.render().then(
      (text) => {
        const body = Buffer.from(text, 'utf8');
        res.writeHead(200, {
          'content-type': metrics.contentType,
          'content-length': body.length,
          'cache-control': 'no-store',
          'x-request-id': requestId,
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        logError(error);
        answerInternalError(res, requestId);
      },
    );
  };
  const server: Server = createNodeServer(config.http, handle, logError);
  server.on('clientError', clientErrorHandler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.metrics.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
