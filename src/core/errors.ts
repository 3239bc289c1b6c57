/**
 * The closed table of every error Keyward reports. Codes are stable API: clients
 * branch on them, so a code is never renamed or reused for another meaning.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: 'The request body, query or path did not match the schema.',
  MALFORMED_JSON: 'The request body is not valid JSON.',
  UNSUPPORTED_MEDIA_TYPE: 'The request body must be application/json.',
  PAYLOAD_TOO_LARGE: 'The request body is too large.',
  MALFORMED_REQUEST: 'The request is not valid HTTP.',
  BAD_URL: 'The request URL is malformed or not validly percent-encoded.',
  URI_TOO_LONG: 'A path parameter of the request URL is too long.',
  HEADERS_TOO_LARGE: 'The request headers are too large.',
  REQUEST_TIMEOUT: 'The request was not received in time.',
  EXPECTATION_FAILED: 'The only expectation supported in Expect is 100-continue.',
  RANGE_NOT_SATISFIABLE: 'The requested byte range is outside the file.',
  UNAUTHORIZED: 'Missing or invalid credentials.',
  INVALID_CREDENTIALS: 'Email or password is wrong.',
  FORBIDDEN: 'The caller lacks the permission this operation needs.',
  SCOPE_NOT_GRANTABLE: 'A requested scope exceeds what the creating user holds.',
  SESSION_REQUIRED: 'This operation needs a signed-in user session, not an access key.',
  CURRENT_PASSWORD_REQUIRED: 'Changing your own password needs your current password (currentPassword).',
  CURRENT_PASSWORD_WRONG: 'The current password is wrong.',
  UNKNOWN_SCOPE: 'A requested scope or role is not in the catalogue.',
  UNKNOWN_PERMISSION: 'A requested permission does not exist.',
  UNKNOWN_PLAN: 'The plan is not in the catalogue.',
  ROUTE_NOT_FOUND: 'No such route.',
  ACCOUNT_NOT_FOUND: 'No such account.',
  USER_NOT_FOUND: 'No such user.',
  APPLICATION_NOT_FOUND: 'No such application.',
  KEY_NOT_FOUND: 'No such access key.',
  DEVICE_NOT_FOUND: 'No such device.',
  EMAIL_TAKEN: 'A user with this email already exists.',
  CUSTOMER_ID_TAKEN: 'An account with this customer ID already exists.',
  APPLICATION_LIMIT_REACHED: 'The account already has its maximum of active applications.',
  KEY_LIMIT_REACHED: 'The application already has its maximum of active access keys.',
  APPLICATION_REVOKED: 'The application is revoked.',
  APPLICATION_DISABLED: 'The application is disabled: the user who created it was deleted.',
  ALREADY_REVOKED: 'The item is already revoked.',
  KEY_NOT_ACTIVE: 'Only an active key can be rotated.',
  CANNOT_DELETE_SELF: 'A user cannot delete themselves.',
  LAST_ADMIN: 'An account must keep at least one admin.',
  EXPIRY_IN_PAST: 'The expiry date must be in the future.',
  CONFIRMATION_REQUIRED: 'This operation needs the exact confirmation text.',
  METHOD_NOT_ALLOWED: 'This method is not allowed on this route.',
  RATE_LIMITED: 'Too many requests.',
  USAGE_EXCEEDED: "The credential's quota of credits is spent until its next refill.",
  MISSING_HEADERS: 'A signed request needs both X-BCoT-Timestamp and Authorization.',
  BAD_TIMESTAMP: 'X-BCoT-Timestamp is not a UTC timestamp like 20201201T060000Z.',
  TIMESTAMP_OUT_OF_WINDOW: 'The request timestamp is more than 300 seconds from the server time.',
  MALFORMED_AUTHORIZATION: 'The CTN1-HMAC-SHA256 Authorization header is malformed.',
  SIGN_DATE_OUT_OF_RANGE: 'The signature date is in the future or more than 7 days old.',
  INVALID_SIGNATURE: 'The signature does not match.',
  DEVICE_DISABLED: 'The device is disabled.',
  REPLAYED: 'This signed request was already accepted once.',
  SECRET_UNAVAILABLE:
    "The device's secret cannot be opened with the loaded master key; the operator must restore the key or reset the secret.",
  SHARED_SECRET_UNREADABLE:
    "The account's shared secret cannot be opened with the loaded master key: the operator must restore the key that sealed it, or reset the shared secret.",
  INTERNAL_ERROR: 'An unexpected error occurred.',
  MALFORMED: 'The presented key is not a well-formed Keyward key.',
  NOT_FOUND: 'The presented key does not exist.',
  REVOKED: 'The presented key is revoked.',
  EXPIRED: 'The presented key has expired.',
  DISABLED: "The presented key's application is revoked or its creator was deleted.",
  UNSUPPORTED_CREDENTIAL: 'This credential scheme is not supported here.',
  SCOPE_DENIED: "No scope of the credential grants this method and path of the operator's API.",
  CONFIRMATION_MISMATCH: "The confirmation does not match the key's application ID or customer ID.",
  RECENT_USE_CONFIRMATION_REQUIRED: 'The key was used within the past 3 days: confirm deleting it explicitly.',
  UPSTREAM_UNAVAILABLE: 'The upstream API could not be reached.',
  STORE_UNAVAILABLE: 'The database could not be reached in time; retry shortly.',
  WEBHOOK_NOT_FOUND: 'No such webhook endpoint.',
  DELIVERY_NOT_FOUND: 'No such webhook delivery.',
  WEBHOOK_URL_REFUSED:
    'The webhook URL is not an http(s) URL, carries credentials, or resolves to an address deliveries may not reach (loopback, private, link-local, multicast) unless the operator allows it.',
  UNKNOWN_EVENT_TYPE: 'A requested webhook event type does not exist.',
  WEBHOOK_DISABLED: 'The webhook endpoint is disabled: enable it first.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Codes any request can get, whatever its route, because they are answered before a route
 * runs (the HTTP parser, URL decoding, routing, the dashboard's static files). The OpenAPI
 * document describes them once for the whole server instead of on every operation.
 */
export const SERVER_WIDE_ERROR_CODES = [
  'MALFORMED_REQUEST',
  'BAD_URL',
  'URI_TOO_LONG',
  'HEADERS_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'EXPECTATION_FAILED',
  'RANGE_NOT_SATISFIABLE',
  'ROUTE_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
] as const satisfies readonly ErrorCode[];

/** The one place that decides which HTTP status each code maps to. */
export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'VALIDATION_FAILED':
    case 'MALFORMED_JSON':
    case 'UNKNOWN_SCOPE':
    case 'UNKNOWN_PERMISSION':
    case 'UNKNOWN_PLAN':
    case 'EXPIRY_IN_PAST':
    case 'CONFIRMATION_REQUIRED':
    case 'CURRENT_PASSWORD_REQUIRED':
    case 'WEBHOOK_URL_REFUSED':
    case 'UNKNOWN_EVENT_TYPE':
    case 'MALFORMED_REQUEST':
    case 'BAD_URL':
      return 400;
    case 'UNAUTHORIZED':
    case 'INVALID_CREDENTIALS':
    case 'MALFORMED':
    case 'NOT_FOUND':
    case 'REVOKED':
    case 'EXPIRED':
    case 'DISABLED':
    case 'UNSUPPORTED_CREDENTIAL':
    case 'MISSING_HEADERS':
    case 'BAD_TIMESTAMP':
    case 'TIMESTAMP_OUT_OF_WINDOW':
    case 'MALFORMED_AUTHORIZATION':
    case 'SIGN_DATE_OUT_OF_RANGE':
    case 'INVALID_SIGNATURE':
    case 'DEVICE_DISABLED':
    case 'REPLAYED':
    case 'SECRET_UNAVAILABLE':
      return 401;
    case 'FORBIDDEN':
    case 'SCOPE_NOT_GRANTABLE':
    case 'SCOPE_DENIED':
    case 'SESSION_REQUIRED':
    case 'CURRENT_PASSWORD_WRONG':
      return 403;
    case 'ROUTE_NOT_FOUND':
    case 'ACCOUNT_NOT_FOUND':
    case 'USER_NOT_FOUND':
    case 'APPLICATION_NOT_FOUND':
    case 'KEY_NOT_FOUND':
    case 'DEVICE_NOT_FOUND':
    case 'WEBHOOK_NOT_FOUND':
    case 'DELIVERY_NOT_FOUND':
      return 404;
    case 'METHOD_NOT_ALLOWED':
      return 405;
    case 'REQUEST_TIMEOUT':
      return 408;
    case 'EXPECTATION_FAILED':
      return 417;
    case 'EMAIL_TAKEN':
    case 'CUSTOMER_ID_TAKEN':
    case 'APPLICATION_LIMIT_REACHED':
    case 'KEY_LIMIT_REACHED':
    case 'APPLICATION_REVOKED':
    case 'APPLICATION_DISABLED':
    case 'ALREADY_REVOKED':
    case 'KEY_NOT_ACTIVE':
    case 'CANNOT_DELETE_SELF':
    case 'LAST_ADMIN':
    case 'SHARED_SECRET_UNREADABLE':
    case 'CONFIRMATION_MISMATCH':
    case 'RECENT_USE_CONFIRMATION_REQUIRED':
    case 'WEBHOOK_DISABLED':
      return 409;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'URI_TOO_LONG':
      return 414;
    case 'RANGE_NOT_SATISFIABLE':
      return 416;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'RATE_LIMITED':
    case 'USAGE_EXCEEDED':
      return 429;
    case 'HEADERS_TOO_LARGE':
      return 431;
    case 'INTERNAL_ERROR':
      return 500;
    case 'UPSTREAM_UNAVAILABLE':
      return 502;
    case 'STORE_UNAVAILABLE':
      return 503;
    default: {
      const unreachable: never = code;
      throw new Error(`unmapped error code ${String(unreachable)}`);
    }
  }
}

/** An expected failure of a domain operation; only the HTTP edge turns it into a response. */
export class KeywardError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERROR_CODES[code]);
    this.name = 'KeywardError';
    this.code = code;
    this.details = details;
  }
}

export function isKeywardError(e: unknown): e is KeywardError {
  return e instanceof KeywardError;
}
