import { createHash, createHmac } from 'node:crypto';

/**
 * CTN1-HMAC-SHA256 request signing (Catenis-compatible). Kept free of dependencies: this
 * package must not import the server, so the few lines of the scheme are repeated here and
 * pinned by the same test vector as the server's.
 */
export interface DeviceCredentials {
  /** The 20-character device ID. */
  deviceId: string;
  /** The device's secret (its own, or the account's shared secret). */
  secret: string;
}

export type SignableBody = string | Uint8Array | null | undefined;

export interface SignRequestInput extends DeviceCredentials {
  method: string;
  /** The absolute URL the request goes to; its host (with port) and path+query are signed. */
  url: string | URL;
  /** Headers the request already has (kept; returned merged with the signature headers). */
  headers?: Record<string, string> | undefined;
  body?: SignableBody;
  /** Signing time in epoch ms (defaults to now). */
  now?: number | undefined;
  /** Reuse an earlier signDate (`YYYYMMDD`, at most 7 days old), as Catenis clients may. */
  signDate?: string | undefined;
}

export interface SignatureHeaders {
  'X-BCoT-Timestamp': string;
  Authorization: string;
}

const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, msg: string) => createHmac('sha256', key).update(msg).digest();

export function formatTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** The signature headers for one request; every byte signed must be sent unchanged. */
export function signatureHeaders(input: SignRequestInput): SignatureHeaders {
  const url = new URL(input.url);
  const timestamp = formatTimestamp(input.now ?? Date.now());
  const signDate = input.signDate ?? timestamp.slice(0, 8);
  const body = input.body ?? '';
  const conformed = `${input.method.toUpperCase()}\n${url.pathname}${url.search}\nhost:${url.host}\nx-bcot-timestamp:${timestamp}\n\n${sha256Hex(body)}\n`;
  const toSign = `CTN1-HMAC-SHA256\n${timestamp}\n${signDate}/ctn1_request\n${sha256Hex(conformed)}\n`;
  const signKey = hmac(hmac(`CTN1${input.secret}`, signDate), 'ctn1_request');
  const signature = createHmac('sha256', signKey).update(toSign).digest('hex');
  return {
    'X-BCoT-Timestamp': timestamp,
    Authorization: `CTN1-HMAC-SHA256 Credential=${input.deviceId}/${signDate}/ctn1_request,Signature=${signature}`,
  };
}

/** The request's headers with the two signature headers added. */
export function signRequest(input: SignRequestInput): Record<string, string> {
  return { ...input.headers, ...signatureHeaders(input) };
}

function bodyBytes(body: unknown): SignableBody {
  if (body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (body instanceof URLSearchParams) return body.toString();
  throw new TypeError('deviceFetch signs string, Uint8Array, ArrayBuffer or URLSearchParams bodies only: the exact bytes must be hashed.');
}

/**
 * A `fetch` that signs every request as the device. Pass absolute URLs; the body must be
 * given as bytes or text (streams and FormData cannot be hashed before sending).
 */
export function deviceFetch(credentials: DeviceCredentials, baseFetch: typeof fetch = fetch) {
  return async (url: string | URL, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    const body = bodyBytes(init.body);
    const signed = signatureHeaders({ ...credentials, method: init.method ?? 'GET', url, body });
    headers.set('X-BCoT-Timestamp', signed['X-BCoT-Timestamp']);
    headers.set('Authorization', signed.Authorization);
    return baseFetch(url, { ...init, headers, ...(body !== undefined && body !== null && { body }) });
  };
}
