/** Socket errors: the server is down, unreachable, or the connection to it broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs for "the server cannot serve this right now": admin_shutdown, crash_shutdown,
 * cannot_connect_now (starting up or in recovery) and query_canceled, which is what
 * statement_timeout raises. Class 08 (connection exception) and class 53 (insufficient
 * resources: too many connections, disk full, out of memory) are matched by prefix.
 */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '57014']);

/**
 * What pg and pg-pool throw without a code: a dead or closed socket, the client-side
 * query_timeout, and both connect timeouts (a new connection, a free pooled one).
 */
const MESSAGES =
  /^(Connection terminated|Query read timeout|timeout exceeded when trying to connect|timeout expired|Client has encountered a connection error|Client was closed and is not queryable)/;

function matches(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || SERVER_CODES.has(code)) return true;
    if (/^(08|53)[0-9A-Z]{3}$/.test(code)) return true;
  }
  return MESSAGES.test(error.message);
}

/**
 * Whether a pg error means PostgreSQL could not be reached or did not answer in time. Looks
 * one level into `cause` (pg-pool wraps a connect timeout) and into an AggregateError's
 * `errors` (Node's connect to every address of a host name), never deeper.
 */
export function isPostgresUnavailable(error: unknown): boolean {
  if (matches(error)) return true;
  if (!(error instanceof Error)) return false;
  if (matches(error.cause)) return true;
  return error instanceof AggregateError && error.errors.some(matches);
}
