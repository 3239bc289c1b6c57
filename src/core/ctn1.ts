import { createHash, createHmac } from 'node:crypto';

/**
 * CTN1-HMAC-SHA256, Catenis' device request signature (see docs/devices.md). Pure
 * functions only: the server's verifier and the tests build on them, byte for byte.
 */
export const CTN1_SCHEME = 'CTN1-HMAC-SHA256';
export const CTN1_SCOPE_SUFFIX = 'ctn1_request';
export const TIMESTAMP_HEADER = 'x-bcot-timestamp';
/** How far a request's timestamp may be from the server's clock, either way. */
export const TIMESTAMP_WINDOW_MS = 300_000;
/** A signDate may be reused for this long, counted from its UTC midnight. */
export const SIGN_DATE_VALIDITY_MS = 7 * 86_400_000;

const TIMESTAMP_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
// Catenis accepts an optional space after the comma; device IDs are 20 word characters.
const AUTHORIZATION_PATTERN = /^CTN1-HMAC-SHA256 Credential=(\w{20})\/(\d{8})\/ctn1_request, ?Signature=([0-9a-fA-F]{64})$/;

export interface ParsedAuthorization {
  deviceId: string;
  signDate: string;
  signature: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export const EMPTY_BODY_HASH = sha256Hex('');

/** `YYYYMMDDTHHmmssZ` for an epoch-ms instant. */
export function formatTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Epoch ms of a well-formed, real calendar instant, else null (`20201301T…` is refused, not rolled over). */
export function parseTimestamp(ts: string): number | null {
  const m = TIMESTAMP_PATTERN.exec(ts);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return formatTimestamp(ms) === ts ? ms : null;
}

/** Epoch ms of a signDate's UTC midnight, or null when it is not a real date. */
export function parseSignDate(signDate: string): number | null {
  return parseTimestamp(`${signDate}T000000Z`);
}

export function signDateOf(timestamp: string): string {
  return timestamp.slice(0, 8);
}

export function parseAuthorization(header: string): ParsedAuthorization | null {
  const m = AUTHORIZATION_PATTERN.exec(header);
  if (!m) return null;
  return { deviceId: m[1] as string, signDate: m[2] as string, signature: (m[3] as string).toLowerCase() };
}

export function formatAuthorization(deviceId: string, signDate: string, signature: string): string {
  return `${CTN1_SCHEME} Credential=${deviceId}/${signDate}/${CTN1_SCOPE_SUFFIX},Signature=${signature}`;
}

export interface SignableRequest {
  method: string;
  /** Path and query exactly as sent on the request line. */
  path: string;
  /** The Host header, port included when the client sent one. */
  host: string;
  timestamp: string;
  /** Lowercase hex SHA-256 of the raw body bytes. */
  bodyHash: string;
}

export function conformedRequest(r: SignableRequest): string {
  return `${r.method.toUpperCase()}\n${r.path}\nhost:${r.host}\n${TIMESTAMP_HEADER}:${r.timestamp}\n\n${r.bodyHash}\n`;
}

export function stringToSign(timestamp: string, signDate: string, conformedHash: string): string {
  return `${CTN1_SCHEME}\n${timestamp}\n${signDate}/${CTN1_SCOPE_SUFFIX}\n${conformedHash}\n`;
}

export function dateKey(secret: string, signDate: string): Buffer {
  return createHmac('sha256', `CTN1${secret}`).update(signDate).digest();
}

export function signingKey(secret: string, signDate: string): Buffer {
  return createHmac('sha256', dateKey(secret, signDate)).update(CTN1_SCOPE_SUFFIX).digest();
}

/** The lowercase hex signature of a request for a given signDate. */
export function computeSignature(secret: string, signDate: string, r: SignableRequest): string {
  const toSign = stringToSign(r.timestamp, signDate, sha256Hex(conformedRequest(r)));
  return createHmac('sha256', signingKey(secret, signDate)).update(toSign).digest('hex');
}
