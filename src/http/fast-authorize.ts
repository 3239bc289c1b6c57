import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyLimits, decide, isLimited, peekPresented, type VerifyResult, validUntil } from '../auth/access-key.js';
import {
  authorizeRequest,
  customerIdSoon,
  type GatewayDecision,
  identityHeaders,
  limitedVerdict,
  scopeDenied,
} from '../auth/authorize-request.js';
import { parseGatewayCredential } from '../auth/gateway-credential.js';
import type { Runtime } from '../compose.js';
import type { CatalogueIndex, ScopeMatcher } from '../core/catalogue.js';
import { ERROR_CODES, type ErrorCode, httpStatusOf, isKeywardError, type KeywardError } from '../core/errors.js';
import type { LimitState } from '../core/ratelimit.js';
import type { KeyVerificationRecord } from '../store/repos/keys.js';
import { retryAfterOf } from './errors.js';
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
/**
 * `Bearer <key>` or a bare key, read as parseGatewayCredential reads them: a match is always
 * its `{ scheme: 'key' }`; anything else (other spacing, `BEARER`, CTN1) is parsed by it.
 */
const PLAIN_KEY = /^(?:[Bb]earer )?([0-9A-Za-z_]{1,512})$/;

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
 * another scheme) runs `authorizeRequest`, the route's own code. Status, headers and bodies are
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

/** Answers at once when it can (a known key), else returns the promise of the answer. */
function answer(ctx: Runtime, req: IncomingMessage, res: ServerResponse, requestId: string, method: string, uri: string) {
  const key = keyOf(req.headers.authorization);
  if (key === undefined) {
    const h = req.headers;
    return authorizeRequest(ctx, {
      authorization: h.authorization,
      method,
      uri,
      host: typeof h['x-original-host'] === 'string' ? h['x-original-host'] : undefined,
      contentSha256: typeof h['x-content-sha256'] === 'string' ? h['x-content-sha256'] : undefined,
      headers: h,
    }).then((decision) => sendDecision(ctx, res, requestId, decision));
  }
  const peeked = peekPresented(ctx, key);
  if (peeked === 'malformed') return sendRefusal(ctx, res, requestId, refusalOf('MALFORMED'));
  if (peeked.known !== undefined) return keyAnswer(ctx, res, requestId, peeked.known, method, uri);
  return ctx.keyLookup(peeked.keyHash).then((record) => keyAnswer(ctx, res, requestId, record ?? null, method, uri));
}

function keyOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const plain = PLAIN_KEY.exec(authorization);
  if (plain !== null) return plain[1];
  const credential = parseGatewayCredential(authorization);
  return credential.scheme === 'key' ? credential.key : undefined;
}

/** What a cached key record answers, prepared once per record (and again when the clock passes `until`). */
interface KeyAnswers {
  catalogue: CatalogueIndex;
  /** The answers hold while the clock is below this (`validUntil`: a valid key's expiry). */
  until: number;
  result: VerifyResult;
  /** The 401 of a refused key (revoked, disabled, expired). */
  refusal: Refusal | undefined;
  matcher: ScopeMatcher;
  customerId: string | undefined;
  /** The 200 of an unlimited key, by the scope that granted it (only the body's `scope` differs). */
  allowed: Map<string, Allowed>;
}

interface Allowed {
  /** The response headers as writeHead takes them; the request id goes in at `REQUEST_ID_AT`. */
  headers: string[];
  body: string;
}

const REQUEST_ID_AT = 5;

const answers = new WeakMap<KeyVerificationRecord, KeyAnswers>();

function answersOf(ctx: Runtime, record: KeyVerificationRecord, now: number): KeyAnswers {
  const kept = answers.get(record);
  if (kept !== undefined && now < kept.until && kept.catalogue === ctx.catalogue) return kept;
  const result = decide(record, [], now);
  const made: KeyAnswers = {
    catalogue: ctx.catalogue,
    until: validUntil(record, result),
    result,
    // decide() without required scopes refuses with REVOKED, DISABLED or EXPIRED: error codes of the same names.
    refusal: result.valid ? undefined : refusalOf(result.code as ErrorCode),
    matcher: ctx.catalogue.matcher(record.key.scopes),
    customerId: undefined,
    allowed: new Map(),
  };
  answers.set(record, made);
  return made;
}

/** The steps of `authorizeRequest` for a key, in its order: credential, catalogue, account, limits, use. */
function keyAnswer(
  ctx: Runtime,
  res: ServerResponse,
  requestId: string,
  record: KeyVerificationRecord | null,
  method: string,
  uri: string,
): undefined | Promise<void> {
  if (record === null) return sendRefusal(ctx, res, requestId, refusalOf('NOT_FOUND'));
  const a = answersOf(ctx, record, ctx.now());
  if (a.refusal !== undefined) return sendRefusal(ctx, res, requestId, a.refusal);
  const scope = a.matcher.scopeFor(method, uri);
  if (scope === undefined) return sendError(ctx, res, requestId, scopeDenied(method, uri));
  if (a.customerId === undefined) {
    const customerId = customerIdSoon(ctx, record.key.accountId);
    if (customerId instanceof Promise) {
      return customerId.then((id) => {
        a.customerId = id;
        return grant(ctx, res, requestId, record, a, scope);
      });
    }
    a.customerId = customerId;
  }
  return grant(ctx, res, requestId, record, a, scope);
}

function grant(
  ctx: Runtime,
  res: ServerResponse,
  requestId: string,
  record: KeyVerificationRecord,
  a: KeyAnswers,
  scope: string,
): undefined | Promise<void> {
  if (isLimited(ctx, record)) {
    const limited = applyLimits(ctx, record, a.result, {});
    if (limited instanceof Promise) return limited.then((l) => grantLimited(ctx, res, requestId, a, scope, l));
    grantLimited(ctx, res, requestId, a, scope, limited);
    return undefined;
  }
  ctx.usage.record(record.key.id, ctx.now());
  let allowed = a.allowed.get(scope);
  if (allowed === undefined) {
    allowed = allowedOf(a, scope, []);
    a.allowed.set(scope, allowed);
  }
  allowed.headers[REQUEST_ID_AT] = requestId; // read by writeHead at once, never kept by it
  ctx.metrics?.authorized('authorize', 'allowed');
  res.writeHead(200, allowed.headers);
  res.end(allowed.body);
  return undefined;
}

/** A limited key's answer depends on its counters: decided, counted and built per request. */
function grantLimited(ctx: Runtime, res: ServerResponse, requestId: string, a: KeyAnswers, scope: string, limited: VerifyResult): void {
  const report = limitedVerdict(ctx, limited); // throws the 429, counted as a rejected use
  // Not reached: a limit refusal throws above, and every other refusal was answered before the limits.
  if (!limited.valid) throw new Error(`limits answered ${limited.code} for a valid key`);
  ctx.usage.record(limited.keyId, ctx.now());
  // The prepared 200 of this scope (as an unlimited key's), with the RateLimit-* fields put before its
  // closing cache-control: the body and the identity headers are not built again per request.
  let allowed = a.allowed.get(scope);
  if (allowed === undefined) {
    allowed = allowedOf(a, scope, []);
    a.allowed.set(scope, allowed);
  }
  const headers = allowed.headers.slice(0, -2);
  headers[REQUEST_ID_AT] = requestId;
  pushRateLimitHeaders(report?.limits, headers);
  headers.push('cache-control', 'no-store');
  ctx.metrics?.authorized('authorize', 'allowed');
  res.writeHead(200, headers);
  res.end(allowed.body);
}

function allowedOf(a: KeyAnswers, scope: string, extra: string[]): Allowed {
  const r = a.result as VerifyResult & { valid: true };
  const customerId = a.customerId as string;
  const body = JSON.stringify({
    allowed: true,
    accountId: r.accountId,
    customerId,
    keyId: r.keyId,
    applicationId: r.applicationId,
    kind: r.kind,
    scope,
  });
  const identity: Record<string, string> = {
    'x-keyward-account-id': r.accountId,
    'x-keyward-customer-id': customerId,
    'x-keyward-key-id': r.keyId,
    'x-keyward-application-id': r.applicationId ?? '',
    'x-keyward-key-kind': r.kind,
  };
  return { headers: headersOf(body, '', identity, extra), body };
}

/** content-type, content-length, x-request-id (at REQUEST_ID_AT), the identity headers, the limits, cache-control. */
function headersOf(body: string, requestId: string, identity: Record<string, string>, extra: string[]): string[] {
  const out = ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body)), 'x-request-id', requestId];
  for (const name of Object.keys(identity)) out.push(name, identity[name] as string);
  out.push(...extra, 'cache-control', 'no-store');
  return out;
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

/** A 401 without details: its body around the request id, and its length without it, made once per code. */
interface Refusal {
  code: ErrorCode;
  status: number;
  head: string;
  length: number;
}

const refusals = new Map<ErrorCode, Refusal>();
const TAIL = '"}}';

function refusalOf(code: ErrorCode): Refusal {
  let r = refusals.get(code);
  if (r === undefined) {
    // requestId is the envelope's last field and needs no escaping (req_ + base62).
    const head = JSON.stringify({ error: { code, message: ERROR_CODES[code], requestId: '' } }).slice(0, -TAIL.length);
    r = { code, status: httpStatusOf(code), head, length: Buffer.byteLength(head) + TAIL.length };
    refusals.set(code, r);
  }
  return r;
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
  res.end(`${r.head}${requestId}${TAIL}`);
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
