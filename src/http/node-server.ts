import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpLimits } from '../config.js';
import { ERROR_CODES, type ErrorCode, httpStatusOf } from '../core/errors.js';
import { retryAfterOf } from './errors.js';
import { newRequestId } from './request-id.js';

export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Node checks the header and request timeouts on a timer (default every 30 s, so a 10 s
 * timeout could take 40 s to fire). A tenth of the shortest timeout, between 50 ms and 1 s.
 */
export function connectionsCheckingIntervalOf(limits: HttpLimits): number {
  return Math.min(1000, Math.max(50, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 10)));
}

/**
 * The node:http server Keyward listens on, with or without the fast verify path: the limits
 * of the configuration (KEYWARD_*_TIMEOUT_MS, KEYWARD_MAX_CONNECTIONS), error answers in the
 * envelope where node would write a bare status, and one guard so that no handler's
 * synchronous throw ends the process.
 */
export function createNodeServer(
  limits: HttpLimits,
  handle: RawHandler,
  logError: (error: unknown) => void,
  /** Called as each response finishes (`this` is the response), e.g. to count statuses; one shared function, no closure per request. */
  onFinish?: (this: ServerResponse) => void,
): Server {
  const guarded = (req: IncomingMessage, res: ServerResponse) => {
    if (onFinish) res.on('finish', onFinish);
    try {
      if (req.httpVersion === '1.1' && !req.headers.host) {
        writeError(res, 'MALFORMED_REQUEST', newRequestId(), 'An HTTP/1.1 request needs a Host header.');
        return;
      }
      handle(req, res);
    } catch (error) {
      logError(error);
      answerInternalError(res);
    }
  };
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalOf(limits),
      // Checked below instead: node's own refusal is a bare 400 without the error envelope.
      requireHostHeader: false,
    },
    guarded,
  );
  // node answers an Expect other than 100-continue with a bare 417 unless this is handled.
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => writeError(res, 'EXPECTATION_FAILED', newRequestId()));
  // node gives CONNECT to this event only, and without a listener drops the connection unanswered.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    writeRawError(socket, 'METHOD_NOT_ALLOWED');
    socket.destroy();
  });
  server.setTimeout(limits.socketIdleTimeoutMs);
  // Beyond the cap node closes each new connection as it is accepted; the open ones are served.
  server.maxConnections = limits.maxConnections;
  return server;
}

/**
 * A 500 with the error envelope when nothing was sent yet; a response already under way is
 * cut short (the client sees a broken response, never a wrong one); a finished one is left be.
 */
export function answerInternalError(res: ServerResponse, requestId: string = newRequestId()): void {
  if (res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  try {
    writeError(res, 'INTERNAL_ERROR', requestId);
  } catch {
    res.destroy();
  }
}

/** The error envelope on a raw response, for the answers given outside Fastify (with Retry-After as sendError gives it). */
export function writeError(
  res: ServerResponse,
  code: ErrorCode,
  requestId: string,
  message: string = ERROR_CODES[code],
  details?: unknown,
): void {
  const body = JSON.stringify({ error: { code, message, requestId, ...(details !== undefined && { details }) } });
  const retryAfter = retryAfterOf(code, details);
  res.writeHead(httpStatusOf(code), {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
    ...(retryAfter !== undefined && { 'retry-after': String(retryAfter) }),
  });
  res.end(body);
}

/** node:http's parser failures, answered with the envelope (node would write a bare status line). */
const CLIENT_ERROR_CODES: Record<string, ErrorCode> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
  HPE_INVALID_URL: 'BAD_URL',
};

/**
 * The server's 'clientError' handler (Fastify's `clientErrorHandler` option): the request
 * never reached a handler, so the answer is written on the socket, then the socket is closed.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset or an already-closed socket cannot be answered.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode = (error.code !== undefined && CLIENT_ERROR_CODES[error.code]) || 'MALFORMED_REQUEST';
  // Only while no response has started on this socket (a request that timed out mid-body has one, unsent).
  const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && !current?.headersSent) writeRawError(socket, code);
  socket.destroy();
}

/** A whole error response written on the socket itself, for requests no handler sees. */
function writeRawError(socket: Duplex, code: ErrorCode): void {
  const requestId = newRequestId();
  const body = JSON.stringify({ error: { code, message: ERROR_CODES[code], requestId } });
  const status = httpStatusOf(code);
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}
