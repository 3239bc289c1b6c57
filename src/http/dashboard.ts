import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../service/context.js';
import { notFoundHandler } from './errors.js';
import type { App } from './types.js';

/** Paths that belong to the API: they never fall back to the dashboard, so their 404s stay JSON. */
const API_PREFIXES = ['/v1/', '/v1?', '/openapi.json', '/healthz', '/readyz'];

function isApiPath(url: string): boolean {
  return url === '/v1' || API_PREFIXES.some((p) => url.startsWith(p));
}

function wantsHtml(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

const HINT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Keyward</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;line-height:1.5">
<h1>Keyward is running</h1>
<p>The dashboard has not been built. Run <code>npm run build</code> and restart Keyward to use it.</p>
<p>The management API is at <a href="/openapi.json">/openapi.json</a>.</p></body></html>`;

/**
 * Serves the built dashboard (a single-page app) at `/`. Unknown non-API GETs that accept HTML get
 * index.html so deep links such as /applications/app_x work after a reload.
 */
export async function registerDashboard(app: App, ctx: Ctx) {
  const dir = ctx.config.dashboardDir;
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(HINT));
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    cacheControl: false,
    setHeaders(res, path) {
      // Vite fingerprints everything under assets/, so those never change; index.html must be revalidated.
      res.setHeader('cache-control', path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.get('/*', { schema: { hide: true } }, async (req: FastifyRequest, reply: FastifyReply) => {
    if (isApiPath(req.url) || !wantsHtml(req)) return notFoundHandler(req, reply);
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html');
  });
}
