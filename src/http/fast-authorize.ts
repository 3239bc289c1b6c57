import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorizeRequest, type GatewayDecision, identityHeaders } from '../auth/authorize-request.js';
import type { Runtime } from '../compose.js';
import { httpStatusOf, isKeywardError, KeywardError } from '../core/errors.js';
import type { LimitState } from '../core/ratelimit.js';
import { retryAfterOf } from './errors.js';
import { decideNow, headersOf, type NowOutcome, type NowRequest, REFUSAL_TAIL, REQUEST_ID_AT, type Refusal } from './gateway-decision.js';
import { answerInternalError } from './node-server.js';
import { limitsOfError, pushRateLimitHeaders } from './ratelimit-headers.js';
import { newRequestId } from './request-id.js';

const PATH = '/v1/authorize';
const JSON_TYPE = 'application/json; charset=utf-8';
// The route's header schema (routes/authorize.ts): a request outside it goes to Fastify, which answers the 400.
const URI_MAX = 8192;
const METHOD_MAX = 16;
const AUTHORIZATION_MAX = 8192;
const CONTENT_SHA_MAX = 128;

type LogError = (error: unknown) => void;

/**
 * `GET /v1/authorize` (nginx auth_request, Envoy ext_authz with X-Original-* headers) answered
 * straight on node:http, ahead of Fastify, like `POST /v1/keys/verify` (fast-verify.ts).
 *
 * It takes the plain request only — GET or HEAD on the exact path, both X-Original-* headers within
 * the route's schema, no body — and leaves everything else to Fastify untouched (other
 * methods, the path-appended form, a query, a missing header's 400). A bearer key the cache
 * knows is answered in the same event-loop turn from answers prepared per cached key record
 * (records are immutable and replaced on every change, so a revoked key's answers go with its
 * record, before the revoking call returns); every other credential (CTN1 signatures, none,
 * another scheme) runs `authorizeRequest`, the route's own code. The decision is gateway-decision.ts
 * `decideNow`, shared with the reverse proxy (upstream-proxy.ts). Status, headers and bodies are
 * the Fastify route's (pinned by test/api/fast-authorize.test.ts). Fastify hooks do not run
 * here: metrics and usage are counted on this path as the route counts them.
 */
export function createFastAuthorize(ctx: Runtime, opts: { logError: LogError }) {
  return function tryHandle(req: IncomingMessage, res: ServerResponse): boolean {
    // HEAD as GET (examples/nginx.conf asks with HEAD so nginx keeps the connection): node writes no body for it.
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.url !== PATH) return false;
    const h = req.headers;
    const uri = h['x-original-uri'];
    const method = h['x-original-method'];
    if (typeof uri !== 'string' || uri.length === 0 || uri.length > URI_MAX) return false;
    if (typeof method !== 'string' || method.length === 0 || method.length > METHOD_MAX) return false;
    const authorization = h.authorization;
    if (authorization !== undefined && authorization.length > AUTHORIZATION_MAX) return false;
    const sha = h['x-content-sha256'];
    if (sha !== undefined && (typeof sha !== 'string' || sha.length > CONTENT_SHA_MAX)) return false;
    // A body is Fastify's to read (and ignore): the route's content parser takes any.
    if (h['content-length'] !== undefined || h['transfer-encoding'] !== undefined) return false;

    const requestId = newRequestId();
    try {
      const pending = answer(ctx, req, res, requestId, method, uri);
      if (pending !== undefined) pending.catch((error: unknown) => fail(ctx, res, requestId, error, opts.logError));
    } catch (error) {
      // Thrown in the request listener, it would reach the server's guard: answered as the route would instead.
      fail(ctx, res, requestId, error, opts.logError);
    }
    return true;
  };
}

/** Answers at once when it can (a decision taken now), else returns the promise of the answer. */
function answer(ctx: Runtime, req: IncomingMessage, res: ServerResponse, requestId: string, method: string, uri: string) {
  const h = req.headers;
  const host = h['x-original-host'];
  const sha = h['x-content-sha256'];
  const timestamp = h['x-bcot-timestamp'];
  const r: NowRequest = {
    authorization: h.authorization,
    method,
    uri,
    host: typeof host === 'string' ? host : undefined,
    timestamp: typeof timestamp === 'string' ? timestamp : undefined,
    contentSha256: typeof sha === 'string' ? sha : undefined,
  };
  const now = decideNow(ctx, r);
  if (now === undefined) {
    return authorizeRequest(ctx, {
      authorization: r.authorization,
      method,
      uri,
      host: r.host,
      contentSha256: r.contentSha256,
      headers: h,
    }).then((decision) => sendDecision(ctx, res, requestId, decision));
  }
  if (now instanceof Promise) return now.then((o) => sendOutcome(ctx, res, requestId, o));
  sendOutcome(ctx, res, requestId, now);
  return undefined;
}

function sendOutcome(ctx: Runtime, res: ServerResponse, requestId: string, o: NowOutcome): void {
  if (o instanceof KeywardError) sendError(ctx, res, requestId, o);
  else if (o.kind === 'refused') sendRefusal(ctx, res, requestId, o);
  else {
    o.headers[REQUEST_ID_AT] = requestId; // read by writeHead at once, never kept by it
    ctx.metrics?.authorized('authorize', 'allowed');
    res.writeHead(200, o.headers);
    res.end(o.body);
  }
}

/** An allowed decision of `authorizeRequest` (the other credentials), answered as the route answers it. */
function sendDecision(ctx: Runtime, res: ServerResponse, requestId: string, d: GatewayDecision): void {
  const body = JSON.stringify({
    allowed: true,
    accountId: d.identity.accountId,
    customerId: d.customerId,
    keyId: d.identity.keyId,
    applicationId: d.identity.applicationId,
    kind: d.identity.kind,
    scope: d.scope,
  });
  const limitHeaders: string[] = [];
  pushRateLimitHeaders(d.limits?.limits, limitHeaders);
  ctx.metrics?.authorized('authorize', 'allowed');
  res.writeHead(200, headersOf(body, requestId, identityHeaders(d), limitHeaders));
  res.end(body);
}

function sendRefusal(ctx: Runtime, res: ServerResponse, requestId: string, r: Refusal): undefined {
  ctx.metrics?.authorized('authorize', r.code);
  res.writeHead(r.status, [
    'content-type',
    JSON_TYPE,
    'content-length',
    String(r.length + requestId.length),
    'x-request-id',
    requestId,
    'x-keyward-error',
    r.code,
  ]);
  res.end(`${r.head}${requestId}${REFUSAL_TAIL}`);
  return undefined;
}

/** A refusal with its own message and details (SCOPE_DENIED, RATE_LIMITED, …), as the route's error handler writes it. */
function sendError(ctx: Runtime, res: ServerResponse, requestId: string, e: KeywardError): undefined {
  ctx.metrics?.authorized('authorize', e.code);
  const { code, message, details } = e;
  const body = JSON.stringify({ error: { code, message, requestId, ...(details !== undefined && { details }) } });
  const headers = [
    'content-type',
    JSON_TYPE,
    'content-length',
    String(Buffer.byteLength(body)),
    'x-request-id',
    requestId,
    'x-keyward-error',
    code,
  ];
  const retryAfter = retryAfterOf(code, details);
  if (retryAfter !== undefined) headers.push('retry-after', String(retryAfter));
  pushRateLimitHeaders(limitsOfError(details) as LimitState[] | undefined, headers);
  res.writeHead(httpStatusOf(code), headers);
  res.end(body);
  return undefined;
}

function fail(ctx: Runtime, res: ServerResponse, requestId: string, error: unknown, logError: LogError): void {
  if (isKeywardError(error) && !res.headersSent) {
    sendError(ctx, res, requestId, error);
    return;
  }
  logError(error);
  ctx.metrics?.authorized('authorize', 'INTERNAL_ERROR');
  answerInternalError(res, requestId);
}
