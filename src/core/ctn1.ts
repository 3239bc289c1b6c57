import { createHmac, hash } from 'node:crypto';

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

// Catenis accepts an optional space after the comma; device IDs are 20 word characters.
const AUTHORIZATION_PATTERN = /^CTN1-HMAC-SHA256 Credential=(\w{20})\/(\d{8})\/ctn1_request, ?Signature=([0-9a-fA-F]{64})$/;

export interface ParsedAuthorization {
  deviceId: string;
  signDate: string;
  signature: string;
}

/** One-shot `crypto.hash` (Node ≥ 20.12): about half the cost of createHash().update().digest() for a request's few hundred bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}

export const EMPTY_BODY_HASH = sha256Hex('');

/** `YYYYMMDDTHHmmssZ` for an epoch-ms instant. */
export function formatTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * Epoch ms of a well-formed, real calendar instant, else null (`20201301T…` is refused, not rolled over).
 * Read character by character: no regular expression, no array, no string built (it runs on every
 * signed request). Accepts exactly what `^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$` plus a round trip through
 * `formatTimestamp` accepted; `test/unit/ctn1.test.ts` pins the two equal.
 */
export function parseTimestamp(ts: string): number | null {
  if (ts.length !== 16 || ts.charCodeAt(8) !== 84 /* T */ || ts.charCodeAt(15) !== 90 /* Z */) return null;
  const day = utcDay(ts);
  if (day === null) return null;
  const h = digits2(ts, 9);
  const mi = digits2(ts, 11);
  const s = digits2(ts, 13);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return null;
  return day + ((h * 60 + mi) * 60 + s) * 1000;
}

/** Epoch ms of a signDate's UTC midnight, or null when it is not a real date. */
export function parseSignDate(signDate: string): number | null {
  return signDate.length === 8 ? utcDay(signDate) : null;
}

/** The two decimal digits at `i` as a number, or -1 when either is not a digit. */
function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch ms of the UTC midnight of the `YYYYMMDD` at the start of `s`, or null when it is not a
 * real date. Years 0000–0099 are refused: `Date.UTC` reads them as 1900–1999, so the round trip
 * the scheme's parser has always required never gave them back.
 */
function utcDay(s: string): number | null {
  const hi = digits2(s, 0);
  const lo = digits2(s, 2);
  const mo = digits2(s, 4);
  const d = digits2(s, 6);
  if (hi < 0 || lo < 0 || mo < 1 || mo > 12 || d < 1) return null;
  const y = hi * 100 + lo;
  if (y < 100) return null;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (mo === 2 && leap ? 29 : (DAYS_IN_MONTH[mo - 1] as number))) return null;
  return Date.UTC(y, mo - 1, d);
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

/** The per-day signing key: what a verifier may keep instead of the secret (src/cache/signing-key-cache.ts). */
export function signingKey(secret: string, signDate: string): Buffer {
  return createHmac('sha256', dateKey(secret, signDate)).update(CTN1_SCOPE_SUFFIX).digest();
}

/** The signature of a request under a signing key already derived, as raw bytes. */
export function signatureWithKey(signKey: Buffer, signDate: string, r: SignableRequest): Buffer {
  const toSign = stringToSign(r.timestamp, signDate, sha256Hex(conformedRequest(r)));
  return createHmac('sha256', signKey).update(toSign).digest();
}

/** The lowercase hex signature of a request for a given signDate. */
export function computeSignature(secret: string, signDate: string, r: SignableRequest): string {
  return signatureWithKey(signingKey(secret, signDate), signDate, r).toString('hex');
}
