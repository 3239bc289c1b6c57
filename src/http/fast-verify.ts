import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import {
  applyLimits,
  decide,
  isLimited,
  type LimitOptions,
  MALFORMED_RESULT,
  peekPresented,
  recordUse,
  type VerifyResult,
  validUntil,
} from '../auth/access-key.js';
import type { Runtime } from '../compose.js';
import { ERROR_CODES, isKeywardError } from '../core/errors.js';
import type { LimitReport, LimitState } from '../core/ratelimit.js';
import type { KeyVerificationRecord } from '../store/repos/keys.js';
import { createFastAuthorize } from './fast-authorize.js';
import { findNul, nulError } from './input-guards.js';
import { answerInternalError, writeError } from './node-server.js';
import { newRequestId } from './request-id.js';
import { presentVerifyResult, VerifyBody, verifyAndRecord } from './routes/keys-verify.js';

const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);
const HEADERS_JSON = 'application/json; charset=utf-8';

/**
 * `POST /v1/keys/verify` answered straight on node:http, ahead of Fastify: the operator's
 * gateway calls it on every request, and Fastify's per-request machinery (hooks, content-type
 * parsing, zod response serialization) costs more than the verification itself.
 *
 * It takes only the plain case — exact path, JSON content type, a Content-Length within the
 * body limit — and hands everything else to Fastify untouched, so unusual requests get the
 * framework's exact behaviour. Once it has read a body it answers every outcome itself with
 * the same status, headers and error body as the Fastify route (pinned by
 * test/api/fast-verify.test.ts). The Fastify route stays registered: it documents the
 * operation in OpenAPI and serves `inject()` and the requests this path declines.
 * Hooks added to Fastify do not run for requests taken here.
 */
export function createFastVerify(ctx: Runtime, opts: { bodyLimit: number; logError: (error: unknown) => void }) {
  // The gateway's GET /v1/authorize (fast-authorize.ts) is installed with it: KEYWARD_FAST_VERIFY=0 turns both off.
  const fastAuthorize = createFastAuthorize(ctx, opts);
  return function tryHandle(req: IncomingMessage, res: ServerResponse): boolean {
    // HEAD too: examples/nginx.conf asks with HEAD, and GET alone here left every such request to Fastify.
    if (req.method === 'GET' || req.method === 'HEAD') return fastAuthorize(req, res);
    if (req.method !== 'POST' || req.url !== '/v1/keys/verify') return false;
    const type = req.headers['content-type'];
    if (type === undefined || !JSON_TYPES.has(type.toLowerCase())) return false;
    const length = Number(req.headers['content-length']);
    if (!(length > 0 && length <= opts.bodyLimit) || req.headers['transfer-encoding'] !== undefined) return false;

    // The body almost always comes in one chunk: a list only for the others (less garbage per request).
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    req.on('data', (chunk: Buffer) => {
      if (first === undefined) first = chunk;
      else if (more === undefined) more = [first, chunk];
      else more.push(chunk);
    });
    req.on('error', destroySocket);
    req.on('end', () => {
      const started = ctx.metrics === undefined ? 0 : performance.now();
      const requestId = newRequestId();
      try {
        const text = more !== undefined ? Buffer.concat(more).toString('utf8') : (first as Buffer).toString('utf8');
        answer(ctx, text, requestId, res, opts.logError, started);
      } catch (error) {
        // Thrown in an event listener, it would end the process: every failure is a 500 instead.
        opts.logError(error);
        ctx.metrics?.verified('key', 'INTERNAL_ERROR');
        answerInternalError(res, requestId);
      }
    });
    return true;
  };
}

/** A request stream's error ends its connection (what `res.destroy()` does; one function for every request). */
function destroySocket(this: IncomingMessage): void {
  this.socket.destroy();
}

function answer(
  ctx: Runtime,
  text: string,
  requestId: string,
  res: ServerResponse,
  logError: (error: unknown) => void,
  started: number,
): void {
  // The plain body's key is what its last two quotes enclose: tested, then sliced, with no match array.
  let key: string | undefined;
  if (PLAIN_BODY.test(text)) {
    const end = text.lastIndexOf('"');
    key = text.slice(text.lastIndexOf('"', end - 1) + 1, end);
  }
  let scopes: string[] | undefined;
  let limits: LimitOptions | undefined;
  if (key === undefined) {
    const body = parseJson(text);
    if (body === INVALID) {
      ctx.metrics?.verified('key', 'MALFORMED_JSON');
      writeError(res, 'MALFORMED_JSON', requestId, ERROR_CODES.MALFORMED_JSON);
      return;
    }
    // As src/http/input-guards.ts refuses it on every Fastify route. In JSON text U+0000 is always escaped.
    const nulAt = text.includes('\\u0000') ? findNul(body, 'body') : undefined;
    if (nulAt !== undefined) {
      const error = nulError(nulAt);
      ctx.metrics?.verified('key', error.code);
      writeError(res, error.code, requestId, error.message, error.details);
      return;
    }
    if (isPlainKeyOnly(body)) {
      key = body.key;
    } else {
      const parsed = VerifyBody.safeParse(body);
      if (!parsed.success) {
        ctx.metrics?.verified('key', 'VALIDATION_FAILED');
        sendValidationError(res, requestId, parsed.error);
        return;
      }
      key = parsed.data.key;
      scopes = parsed.data.scopes;
      if (parsed.data.ratelimits !== undefined || parsed.data.cost !== undefined) {
        limits = { asks: parsed.data.ratelimits, credits: parsed.data.cost };
      }
    }
  }
  const outcome = scopes === undefined && limits === undefined ? readyAnswer(ctx, key) : scopedAnswer(ctx, key, scopes, limits);
  if (!(outcome instanceof Promise)) {
    // A cache hit (or a malformed key) answers in this turn: no promise, no extra tick.
    sendReady(res, requestId, outcome);
    ctx.metrics?.verifiedIn('key', outcome.result.code, started);
    return;
  }
  outcome
    .then((ready) => {
      sendReady(res, requestId, ready);
      ctx.metrics?.verifiedIn('key', ready.result.code, started);
    })
    .catch((error: unknown) => {
      // The cache could not vouch for the key and the store did not answer: 503, never an answer.
      if (isKeywardError(error) && error.code === 'STORE_UNAVAILABLE') {
        ctx.metrics?.verified('key', error.code);
        writeError(res, error.code, requestId, error.message);
        return;
      }
      logError(error);
      ctx.metrics?.verified('key', 'INTERNAL_ERROR');
      answerInternalError(res, requestId);
    });
}

/**
 * The usual body, `{"key":"kw_…"}`, recognised without JSON.parse. Only characters that JSON
 * cannot escape and only JSON whitespace, so a match means exactly what JSON.parse would give
 * `isPlainKeyOnly`; anything else takes the general path.
 */
const PLAIN_BODY = /^[ \t\n\r]*\{[ \t\n\r]*"key"[ \t\n\r]*:[ \t\n\r]*"([0-9A-Za-z_]{1,512})"[ \t\n\r]*\}[ \t\n\r]*$/;

/** A whole verify answer, serialized once and reused while it holds. */
interface Ready {
  result: VerifyResult;
  body: string;
  length: number;
  /** The answer holds while the clock is below this (see `validUntil`). */
  until: number;
}

function readyOf(result: VerifyResult, until: number): Ready {
  const body = JSON.stringify(presentVerifyResult(result));
  return { result, body, length: Buffer.byteLength(body), until };
}

const MALFORMED_READY = readyOf(MALFORMED_RESULT, Number.POSITIVE_INFINITY);
const NOT_FOUND_READY = readyOf(decide(undefined, [], 0), Number.POSITIVE_INFINITY);

/**
 * Answers per cached record. Records are immutable and replaced (dropped from the cache) on
 * every change, so an answer can only go stale through the clock, which `until` covers; a
 * dropped record's answer goes with it (weak keys).
 */
const answers = new WeakMap<KeyVerificationRecord, Ready>();

/**
 * The answer to `{"key": …}` without scopes, counting the use as `verifyAndRecord` does:
 * synchronous when the key is malformed or the cache knows it, else after one store read.
 */
function readyAnswer(ctx: Runtime, key: string): Ready | Promise<Ready> {
  const peeked = peekPresented(ctx, key);
  if (peeked === 'malformed') return MALFORMED_READY;
  if (peeked.known !== undefined) return readyFor(ctx, peeked.known);
  return ctx.keyLookup(peeked.keyHash).then((record) => readyFor(ctx, record ?? null));
}

function readyFor(ctx: Runtime, record: KeyVerificationRecord | null): Ready | Promise<Ready> {
  if (record === null) return NOT_FOUND_READY;
  // A limited key's answer depends on its counters: decided, counted and serialized per request.
  const ready = preparedFor(record, ctx.now());
  if (isLimited(ctx, record)) return limitedAnswer(ctx, record, ready.result);
  recordUse(ctx, ready.result);
  return ready;
}

/** The record's decision without limits and its answer, prepared once and kept while it holds. */
function preparedFor(record: KeyVerificationRecord, now: number): Ready {
  let ready = answers.get(record);
  if (ready === undefined || now >= ready.until) {
    const result = decide(record, [], now);
    ready = readyOf(result, validUntil(record, result));
    answers.set(record, ready);
  }
  return ready;
}

/** The decision is the prepared one (the same object each time: `applyLimits` builds a new result). */
function limitedAnswer(ctx: Runtime, record: KeyVerificationRecord, decided: VerifyResult): Ready | Promise<Ready> {
  const limited = applyLimits(ctx, record, decided, {});
  return limited instanceof Promise ? limited.then((result) => limitedReady(ctx, record, result)) : limitedReady(ctx, record, limited);
}

/**
 * A limited key's answer, serialized per request: the key's fields for this code are serialized
 * once per record (they only change with the record), the limits part each time, by hand
 * (`limitsText`). The same text as `readyOf` gives (pinned by test/api/fast-verify.test.ts).
 */
function limitedReady(ctx: Runtime, record: KeyVerificationRecord, result: VerifyResult): Ready {
  recordUse(ctx, result);
  const limits = 'limits' in result ? result.limits : undefined;
  if (limits === undefined) return readyOf(result, 0);
  let parts = keyParts.get(record);
  if (parts === undefined) {
    parts = { heads: new Map(), limits: [] };
    keyParts.set(record, parts);
  }
  let head = parts.heads.get(result.code);
  if (head === undefined) {
    // `{…the key's fields…` without its closing brace: the limits part follows.
    const text = JSON.stringify(presentVerifyResult({ ...result, limits: undefined } as VerifyResult)).slice(0, -1);
    head = { text, length: Buffer.byteLength(text) };
    parts.heads.set(result.code, head);
  }
  const tail = limitsText(parts.limits, limits);
  const body = head.text + tail;
  return { result, body, length: head.length + Buffer.byteLength(tail), until: 0 };
}

/** Per cached record: its answer's serialized key fields by code (VALID, RATE_LIMITED, USAGE_EXCEEDED), and its limits' prefixes. */
interface KeyParts {
  heads: Map<string, { text: string; length: number }>;
  /** Per limit, in the order the engine reports them: `{"name":…,"owner":…,"limit":…,"remaining":`. */
  limits: LimitPrefix[];
}
interface LimitPrefix {
  name: string;
  owner: string;
  limit: number;
  text: string;
}
const keyParts = new WeakMap<KeyVerificationRecord, KeyParts>();

/**
 * `,"ratelimits":[…],"quotas":[…](,"retryAfterSeconds":…)}` — exactly `JSON.stringify(limitsOut(r))`
 * without its opening brace, after a comma. Each limit's fixed fields are serialized once (kept in
 * `prefixes`, checked against the limit each time) and only `remaining` and `reset` per request;
 * the numbers are integers, which `String` writes as JSON does.
 */
function limitsText(prefixes: LimitPrefix[], r: LimitReport): string {
  let out = ',"ratelimits":[';
  const n = r.limits.length;
  for (let i = 0; i < n; i++) {
    const l = r.limits[i] as LimitState;
    let p = prefixes[i];
    if (p === undefined || p.name !== l.name || p.owner !== l.owner || p.limit !== l.limit) {
      p = {
        name: l.name,
        owner: l.owner,
        limit: l.limit,
        text: `${JSON.stringify({ name: l.name, owner: l.owner, limit: l.limit }).slice(0, -1)},"remaining":`,
      };
      prefixes[i] = p;
    }
    out += `${i === 0 ? '' : ','}${p.text}${l.remaining},"reset":${Math.ceil(l.resetMs / 1000)}}`;
  }
  out += r.quotas.length === 0 ? '],"quotas":[]' : `],"quotas":${JSON.stringify(r.quotas)}`;
  if (r.retryAfterMs !== null) out += `,"retryAfterSeconds":${Math.max(1, Math.ceil(r.retryAfterMs / 1000))}`;
  return `${out}}`;
}

/** With required scopes or limits asked for, the answer depends on them: decided and serialized per request. */
function scopedAnswer(ctx: Runtime, key: string, scopes: string[] | undefined, limits: LimitOptions | undefined): Ready | Promise<Ready> {
  const outcome = verifyAndRecord(ctx, key, scopes, limits);
  return outcome instanceof Promise ? outcome.then((result) => readyOf(result, 0)) : readyOf(outcome, 0);
}

/**
 * The common body `{"key":"…"}` checked by hand: exactly what VerifyBody accepts when no
 * scopes are sent (zod would strip other fields; here any other field goes to zod).
 */
function isPlainKeyOnly(body: unknown): body is { key: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const keys = Object.keys(body);
  const key = (body as { key?: unknown }).key;
  return keys.length === 1 && typeof key === 'string' && key.length <= KEY_MAX;
}

const KEY_MAX = 512;

const INVALID = Symbol('invalid');

/** JSON.parse plus the prototype-poisoning refusal Fastify's parser applies (secure-json-parse). */
function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return INVALID;
  }
  if ((text.includes('__proto__') || text.includes('constructor')) && isPoisoned(value)) return INVALID;
  return value;
}

/**
 * Whether any object in the parsed body has an own `__proto__`, or a `constructor` object with
 * a `prototype`: secure-json-parse's rule. Iterative (explicit stack), like secure-json-parse:
 * a 10 KB body can nest thousands deep, and recursion on it overflowed the stack (issue #10).
 */
function isPoisoned(value: unknown): boolean {
  const stack: object[] = typeof value === 'object' && value !== null ? [value] : [];
  for (let v = stack.pop(); v !== undefined; v = stack.pop()) {
    if (Object.hasOwn(v, '__proto__')) return true;
    const ctor = (v as Record<string, unknown>).constructor;
    if (Object.hasOwn(v, 'constructor') && typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype')) return true;
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push(child);
  }
  return false;
}

/** The same message and details as errorHandler gives fastify-type-provider-zod's errors. */
function sendValidationError(res: ServerResponse, requestId: string, error: z.ZodError): void {
  const issues = error.issues.map((i) => ({ path: `body${`/${i.path.join('/')}`.replace(/\//g, '.')}`, message: i.message }));
  const first = issues[0];
  writeError(res, 'VALIDATION_FAILED', requestId, first ? `${first.path}: ${first.message}` : ERROR_CODES.VALIDATION_FAILED, { issues });
}

function sendReady(res: ServerResponse, requestId: string, ready: Ready): void {
  res.writeHead(200, ['content-type', HEADERS_JSON, 'x-request-id', requestId, 'content-length', String(ready.length)]);
  res.end(ready.body);
}
