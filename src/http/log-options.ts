import type { FastifyBaseLogger, FastifyRequest, FastifyServerOptions } from 'fastify';

/**
 * Headers that carry credentials (X-Original-URI carries the gateway caller's query): never
 * logged. The request serializer below logs no headers at all; this covers any log call that
 * passes headers of its own.
 */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-original-uri'];
const REDACT_PATHS = ['req.headers', 'headers', 'res.headers'].flatMap((at) => CREDENTIAL_HEADERS.map((name) => `${at}["${name}"]`));

/**
 * A request URL as logged: the path, and only whether a query followed. Gateways and clients
 * put keys in query strings (`?api_key=…`, or a bare `?kw_…`), so neither the values nor the
 * names of a query are logged.
 */
export function loggedUrl(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? url : `${url.slice(0, at)}?[redacted]`;
}

/** Fastify's request serializer without the query string. */
function serializeRequest(req: FastifyRequest) {
  return {
    method: req.method,
    url: loggedUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket ? req.socket.remotePort : undefined,
  };
}

/**
 * The logger options every Keyward server runs with: what the caller asked for (level,
 * destination) plus the serializers and redaction that keep credentials out of the log.
 */
export function loggerOptions(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (logger === undefined || logger === false) return false;
  const base = logger === true ? {} : logger;
  return {
    ...base,
    serializers: { ...base.serializers, req: serializeRequest },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}

/** The ids a request's log lines carry once they are known; never a key, token or secret. */
export interface LogIds {
  accountId?: string | null;
  keyId?: string | null;
  deviceId?: string | null;
  userId?: string | null;
}

/**
 * Adds ids to the request's logger, so every later line of the request (Fastify's "request
 * completed" included) carries them next to its requestId. Without a logger (logger: false)
 * there is nothing to bind.
 */
export function bindLogIds(log: FastifyBaseLogger, ids: LogIds): void {
  const logger = log as FastifyBaseLogger & { setBindings?: (bindings: Record<string, string>) => void };
  if (typeof logger.setBindings !== 'function') return;
  const bindings: Record<string, string> = {};
  if (ids.accountId) bindings.accountId = ids.accountId;
  if (ids.keyId) bindings.keyId = ids.keyId;
  if (ids.deviceId) bindings.deviceId = ids.deviceId;
  if (ids.userId) bindings.userId = ids.userId;
  logger.setBindings(bindings);
}
