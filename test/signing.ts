import { computeSignature, formatAuthorization, formatTimestamp, sha256Hex } from '../src/core/ctn1.js';
import type { Harness, Tenant } from './harness.js';

let nonce = 0;

export interface SignOptions {
  now?: number;
  signDate?: string;
  method?: string;
  path?: string;
  host?: string;
  body?: string;
}

/**
 * The body of a /v1/signatures/verify call for a request the device signed. Each call signs
 * a distinct path unless one is given, so two checks in the same second are never replays.
 */
export function signedCheck(deviceId: string, secret: string, o: SignOptions = {}) {
  const timestamp = formatTimestamp(o.now ?? Date.now());
  const signDate = o.signDate ?? timestamp.slice(0, 8);
  const req = {
    method: o.method ?? 'POST',
    path: o.path ?? `/api/0.10/messages/log?n=${nonce++}`,
    host: o.host ?? 'api.example.com:8443',
    timestamp,
    bodyHash: sha256Hex(o.body ?? '{"message":"hello"}'),
  };
  return { ...req, authorization: formatAuthorization(deviceId, signDate, computeSignature(secret, signDate, req)) };
}

/** The verification code Keyward answers for a freshly signed request. */
export async function checkCode(h: Harness, deviceId: string, secret: string, o: SignOptions = {}): Promise<string> {
  const res = await h.call('POST', '/v1/signatures/verify', { body: signedCheck(deviceId, secret, o) });
  if (res.status !== 200) throw new Error(`verify failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.code;
}

export async function createDevice(h: Harness, t: Tenant, body: { name?: string; useSharedSecret?: boolean } = {}, token = t.adminToken) {
  const res = await h.call('POST', `/v1/accounts/${t.accountId}/devices`, { token, body: { name: 'Device', ...body } });
  if (res.status !== 201) throw new Error(`device failed: ${JSON.stringify(res.body)}`);
  return { id: res.body.device.id as string, secret: res.body.secret as string | null, device: res.body.device };
}

export async function sharedSecret(h: Harness, t: Tenant): Promise<string> {
  const res = await h.call('GET', `/v1/accounts/${t.accountId}/shared-secret`, { token: t.adminToken });
  if (res.status !== 200) throw new Error(`shared secret failed: ${JSON.stringify(res.body)}`);
  return res.body.secret;
}
