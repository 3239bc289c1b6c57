import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { ERROR_CODES, type ErrorCode, httpStatusOf } from '../core/errors.js';
import type { Ctx } from '../service/context.js';
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
export function createFastVerify(ctx: Ctx, opts: { bodyLimit: number; logError: (error: unknown) => void }) {
  return function tryHandle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || req.url !== '/v1/keys/verify') return false;
    const type = req.headers['content-type'];
    if (type === undefined || !JSON_TYPES.has(type.toLowerCase())) return false;
    const length = Number(req.headers['content-length']);
    if (!(length > 0 && length <= opts.bodyLimit) || req.headers['transfer-encoding'] !== undefined) return false;

    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
      answer(ctx, text, res, opts.logError);
    });
    return true;
  };
}

function answer(ctx: Ctx, text: string, res: ServerResponse, logError: (error: unknown) => void): void {
  const requestId = newRequestId();
  const body = parseJson(text);
  if (body === INVALID) {
    sendError(res, requestId, 'MALFORMED_JSON', ERROR_CODES.MALFORMED_JSON);
    return;
  }
  let key: string;
  let scopes: string[] | undefined;
  if (isPlainKeyOnly(body)) {
    key = body.key;
  } else {
    const parsed = VerifyBody.safeParse(body);
    if (!parsed.success) {
      sendValidationError(res, requestId, parsed.error);
      return;
    }
    key = parsed.data.key;
    scopes = parsed.data.scopes;
  }
  const outcome = verifyAndRecord(ctx, key, scopes);
  if (!(outcome instanceof Promise)) {
    // A cache hit (or a malformed key) answers in this turn: no promise, no extra tick.
    send(res, 200, requestId, JSON.stringify(presentVerifyResult(outcome)));
    return;
  }
  outcome.then(
    (result) => send(res, 200, requestId, JSON.stringify(presentVerifyResult(result))),
    (error: unknown) => {
      logError(error);
      sendError(res, requestId, 'INTERNAL_ERROR', ERROR_CODES.INTERNAL_ERROR);
    },
  );
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

function isPoisoned(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Object.hasOwn(value, '__proto__')) return true;
  const ctor = (value as Record<string, unknown>).constructor;
  if (Object.hasOwn(value, 'constructor') && typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype')) return true;
  return Object.values(value).some(isPoisoned);
}

/** The same message and details as errorHandler gives fastify-type-provider-zod's errors. */
function sendValidationError(res: ServerResponse, requestId: string, error: z.ZodError): void {
  const issues = error.issues.map((i) => ({ path: `body${`/${i.path.join('/')}`.replace(/\//g, '.')}`, message: i.message }));
  const first = issues[0];
  sendError(res, requestId, 'VALIDATION_FAILED', first ? `${first.path}: ${first.message}` : ERROR_CODES.VALIDATION_FAILED, { issues });
}

function sendError(res: ServerResponse, requestId: string, code: ErrorCode, message: string, details?: unknown): void {
  const body = JSON.stringify({ error: { code, message, requestId, ...(details !== undefined && { details }) } });
  send(res, httpStatusOf(code), requestId, body);
}

function send(res: ServerResponse, status: number, requestId: string, body: string): void {
  res.writeHead(status, { 'content-type': HEADERS_JSON, 'x-request-id': requestId, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
