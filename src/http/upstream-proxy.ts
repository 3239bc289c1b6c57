import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { FastifyRequest } from 'fastify';
import { authorizeRequest, identityHeaders } from '../auth/authorize-request.js';
import { parseGatewayCredential } from '../auth/gateway-credential.js';
import type { Runtime } from '../compose.js';
import { sha256Hex } from '../core/ctn1.js';
import { isKeywardError, KeywardError } from '../core/errors.js';
import type { LimitState } from '../core/ratelimit.js';
import { sendError } from './errors.js';
import { decideNow, type NowRequest } from './gateway-decision.js';
import { bindLogIds } from './log-options.js';
import { answerInternalError, writeError } from './node-server.js';
import { limitsOfError, rateLimitHeaders } from './ratelimit-headers.js';
import type { App } from './types.js';

/** Signed requests are buffered to hash their body; larger ones are refused. */
const SIGNED_BODY_LIMIT = 1024 * 1024;

// RFC 9110 §7.6.1 hop-by-hop headers: they describe one connection, never the next one.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Keyward's own paths are never forwarded, even when no route matches them. */
function isOwnPath(url: string): boolean {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path === '/v1' || path.startsWith('/v1/') || path === '/openapi.json' || path === '/healthz' || path === '/readyz';
}

/**
 * Whether this request belongs to Keyward rather than the upstream. The API paths always do.
 * The dashboard's files do. Its deep-link fallback (`/*`) only answers a browser asking for a
 * page without credentials; any call carrying credentials, or not matching a route, is the
 * upstream's.
 */
function servedByKeyward(req: FastifyRequest): boolean {
  if (isOwnPath(req.url)) return true;
  if (req.is404) return false;
  if (req.routeOptions.url !== '/*') return true;
  return req.headers.authorization === undefined && (req.headers.accept ?? '').includes('text/html');
}

/**
 * The caller's headers as the upstream gets them: without hop-by-hop ones, Host, Authorization and
 * any claimed identity, with X-Forwarded-* and Keyward's identity headers. One object, filled in one
 * pass (it runs on every proxied request).
 */
function forwardHeaders(incoming: IncomingHttpHeaders, identity: Record<string, string>, remote: string | undefined) {
  const out: Record<string, string | string[]> = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'host' || name === 'authorization') continue;
    // The caller must not be able to claim an identity: only Keyward sets these.
    if (name.startsWith('x-keyward-')) continue;
    out[name] = value;
  }
  const prior = incoming['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? (remote ? `${prior}, ${remote}` : prior) : (remote ?? '');
  if (incoming.host) out['x-forwarded-host'] = incoming.host;
  for (const name in identity) out[name] = identity[name] as string;
  return out;
}

/** Streams the request to the upstream and its response back; no buffering either way. */
/** What every forwarded request shares, computed once: the client module and the upstream's address. */
interface Upstream {
  client: typeof http | typeof https;
  protocol: string;
  hostname: string;
  port: string;
  /** The upstream URL's path without its trailing slash, put before each request's path. */
  basePath: string;
}

function upstreamOf(url: URL): Upstream {
  return {
    client: url.protocol === 'https:' ? https : http,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port,
    basePath: url.pathname.replace(/\/$/, ''),
  };
}

function forward(
  upstream: Upstream,
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, string | string[]>,
  onError: () => void,
  body?: Buffer,
  extraResponseHeaders: Record<string, string> = {},
) {
  const outbound = upstream.client.request(
    {
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: upstream.basePath + (req.url ?? '/'),
      headers,
    },
    (upRes) => {
      const resHeaders: Record<string, string | string[]> = {};
      const upHeaders = upRes.headers;
      for (const name in upHeaders) {
        const value = upHeaders[name];
        if (value !== undefined && !HOP_BY_HOP.has(name)) resHeaders[name] = value;
      }
      // The caller learns its limits from Keyward, whatever the upstream says.
      for (const name in extraResponseHeaders) resHeaders[name] = extraResponseHeaders[name] as string;
      upRes.on('error', () => res.destroy());
      try {
        res.writeHead(upRes.statusCode ?? 502, resHeaders);
      } catch {
        // A status or header node will not send on (the upstream's answer is not HTTP we can relay).
        upRes.destroy();
        onError();
        return;
      }
      upRes.pipe(res);
    },
  );
  outbound.on('error', onError);
  req.on('aborted', () => outbound.destroy());
  if (body) outbound.end(body);
  // A request with neither header has no body (RFC 9112 §6.3): sent at once, rather than when the
  // piped stream ends a tick later. Node drains the unread request when the response ends.
  else if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) outbound.end();
  else req.pipe(outbound);
}

function answerUnavailable(res: ServerResponse, requestId: string) {
  if (res.writableEnded) return; // already answered (a later error of the same exchange)
  if (res.headersSent) res.destroy();
  else writeError(res, 'UPSTREAM_UNAVAILABLE', requestId);
}

/** Reads a whole request body, refusing more than `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new KeywardError('PAYLOAD_TOO_LARGE');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reverse-proxy mode (`keyward serve --upstream URL`): every request that is not one of
 * Keyward's own routes is authorized exactly like /v1/authorize (the same decision: gateway-decision.ts
 * `decideNow`, then `authorizeRequest` where it does not decide) and, if allowed,
 * forwarded with the identity headers and without the caller's Authorization header.
 * Runs in onRequest, before any body parsing, so bodies stream straight through.
 */
export function registerUpstreamProxy(app: App, ctx: Runtime) {
  const target = ctx.config.upstream;
  if (target === undefined) return;
  const upstream = upstreamOf(new URL(target));
  app.addHook('onRequest', async (req, reply) => {
    if (servedByKeyward(req)) return;
    try {
      // A device signature covers the body, and here we hold the body: hash what will be
      // forwarded rather than trusting a client's X-Content-SHA256 claim.
      const signed = parseGatewayCredential(req.headers.authorization).scheme === 'ctn1';
      const body = signed ? await readBody(req.raw, SIGNED_BODY_LIMIT) : undefined;
      const h = req.headers;
      const sha = h['x-content-sha256'];
      const timestamp = h['x-bcot-timestamp'];
      const ask: NowRequest = {
        authorization: h.authorization,
        method: req.method,
        uri: req.url,
        host: h.host,
        timestamp: typeof timestamp === 'string' ? timestamp : undefined,
        contentSha256: body ? sha256Hex(body) : typeof sha === 'string' ? sha : undefined,
      };
      // The decision GET /v1/authorize's fast path takes, in the same turn when the caches allow.
      const decided = decideNow(ctx, ask);
      let identity: Record<string, string>;
      let limits: readonly LimitState[] | undefined;
      let ids: { accountId: string; keyId: string | null; deviceId: string | null };
      if (decided === undefined) {
        const decision = await authorizeRequest(ctx, {
          authorization: ask.authorization,
          method: ask.method,
          uri: ask.uri,
          host: ask.host,
          contentSha256: ask.contentSha256,
          headers: h,
        });
        identity = identityHeaders(decision);
        limits = decision.limits?.limits;
        ids = decision.identity;
      } else {
        const outcome = decided instanceof Promise ? await decided : decided;
        // Refusals answered as authorizeRequest's thrown ones are, below.
        if (outcome instanceof KeywardError) throw outcome;
        if (outcome.kind === 'refused') throw new KeywardError(outcome.code);
        identity = outcome.identity;
        limits = outcome.limits;
        ids = outcome;
      }
      ctx.metrics?.authorized('proxy', 'allowed');
      bindLogIds(req.log, { accountId: ids.accountId, keyId: ids.keyId, deviceId: ids.deviceId });
      const headers = forwardHeaders(h, identity, req.ip);
      const limitHeaders = rateLimitHeaders(limits);
      reply.hijack();
      // From here Fastify no longer answers: every failure is answered (or the response cut) here.
      try {
        forward(upstream, req.raw, reply.raw, headers, () => answerUnavailable(reply.raw, req.id), body, limitHeaders);
      } catch (error) {
        req.log.error({ err: error }, 'unhandled error');
        answerInternalError(reply.raw, req.id);
      }
      return reply;
    } catch (e) {
      ctx.metrics?.authorized('proxy', isKeywardError(e) ? e.code : 'INTERNAL_ERROR');
      if (!isKeywardError(e)) throw e;
      reply.header('x-keyward-error', e.code);
      reply.headers(rateLimitHeaders(limitsOfError(e.details)));
      return sendError(reply, req, e.code, e.message, e.details);
    }
  });
}
