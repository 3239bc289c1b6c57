import { computeSignature, formatAuthorization, formatTimestamp, type SignableRequest, sha256Hex, signDateOf } from '../core/ctn1.js';

export interface SignOptions {
  device: string;
  method: string;
  url: string;
  body?: string | undefined;
}

/**
 * Signs one request as a device (CTN1-HMAC-SHA256) and returns exactly the body that
 * `POST /v1/signatures/verify` takes, plus the two headers the device would send. The secret
 * comes from the environment, never from the command line (process lists show arguments).
 */
export function signForCli(o: SignOptions, secret: string | undefined, now = Date.now()) {
  if (!secret) throw new Error('set KEYWARD_DEVICE_SECRET to the device secret (it is never taken as an argument)');
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new Error(`--url must be an absolute URL, got "${o.url}"`);
  }
  const timestamp = formatTimestamp(now);
  const signDate = signDateOf(timestamp);
  const request: SignableRequest = {
    method: o.method.toUpperCase(),
    path: `${url.pathname}${url.search}`,
    host: url.host,
    timestamp,
    bodyHash: sha256Hex(o.body ?? ''),
  };
  const authorization = formatAuthorization(o.device, signDate, computeSignature(secret, signDate, request));
  return { ...request, authorization, headers: { 'X-BCoT-Timestamp': timestamp, Authorization: authorization } };
}
