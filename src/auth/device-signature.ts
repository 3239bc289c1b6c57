import { timingSafeEqual } from 'node:crypto';
import type { SigningKeyCache } from '../cache/signing-key-cache.js';
import {
  EMPTY_BODY_HASH,
  type ParsedAuthorization,
  parseAuthorization,
  parseSignDate,
  parseTimestamp,
  SIGN_DATE_VALIDITY_MS,
  signatureWithKey,
  signingKey,
  TIMESTAMP_WINDOW_MS,
} from '../core/ctn1.js';
import type { Device } from '../core/model.js';
import { sealedWith, secretAad } from '../crypto/secret-box.js';
import type { DeviceSigningRecord } from '../store/repos/devices.js';
import type { AuthCtx } from './context.js';

export const SIGNATURE_CODES = [
  'VALID',
  'MISSING_HEADERS',
  'BAD_TIMESTAMP',
  'TIMESTAMP_OUT_OF_WINDOW',
  'MALFORMED_AUTHORIZATION',
  'SIGN_DATE_OUT_OF_RANGE',
  'INVALID_SIGNATURE',
  'DEVICE_DISABLED',
  'REPLAYED',
  'SECRET_UNAVAILABLE',
] as const;
/** The answers of signature verification: their own type, not error codes (see gateway-credential.ts). */
export type SignatureCode = (typeof SIGNATURE_CODES)[number];
/** Codes that only a correct signature earns, so they may name the device. */
type SignedCode = 'VALID' | 'DEVICE_DISABLED' | 'REPLAYED';

export interface SignedRequest {
  method: string;
  /** Path and query exactly as on the request line. */
  path: string;
  /** The Host header as received, port included. */
  host: string;
  /** The X-BCoT-Timestamp header; empty or undefined when absent. */
  timestamp?: string | undefined;
  /** The Authorization header; empty or undefined when absent. */
  authorization?: string | undefined;
  /** Hex SHA-256 of the raw body; defaults to the hash of an empty body. */
  bodyHash?: string | undefined;
}

/**
 * A verification's answer. The device and its account are named only with a correct
 * signature; every other answer names nobody (`null`, as the API sends it).
 */
export type SignatureResult =
  | { valid: true; code: 'VALID'; deviceId: string; accountId: string }
  | { valid: false; code: Exclude<SignedCode, 'VALID'>; deviceId: string; accountId: string }
  | { valid: false; code: Exclude<SignatureCode, SignedCode>; deviceId: null; accountId: null };

const fail = (code: Exclude<SignatureCode, SignedCode>): SignatureResult => ({ valid: false, code, deviceId: null, accountId: null });

// Signed with when the device is unknown, so that path costs the same HMAC work as a known device
// whose signing key is cached (the usual case): one HMAC over the string to sign.
const DUMMY_SIGN_KEY = signingKey('0'.repeat(128), '20000101');

/**
 * The secret a device signs with, or null when it cannot be opened (sealed under another master
 * key, or a damaged row): logged with the key ids and the reason, never the secret.
 */
function openSigningSecret(ctx: AuthCtx, device: Device, sealed: string): string | null {
  try {
    return ctx.secrets.open(sealed, device.secretSource === 'own' ? secretAad.device(device.id) : secretAad.sharedSecret(device.accountId));
  } catch (e) {
    ctx.log.error(
      {
        deviceId: device.id,
        accountId: device.accountId,
        secretSource: device.secretSource,
        sealedWith: sealedWith(sealed),
        loadedMasterKey: ctx.secrets.fingerprint,
        reason: e instanceof Error ? e.message : String(e),
      },
      'device secret cannot be opened: signature verification answers SECRET_UNAVAILABLE',
    );
    return null;
  }
}

/**
 * The per-day signing key of a device's secret for `signDate`: from the device cache's key cache
 * when derived before from the same sealed secret, else opened and derived (and kept, unless a
 * device or account change came in since `epoch` was taken, before the record was read). Null
 * when the secret cannot be opened.
 */
function signingKeyOf(
  ctx: AuthCtx,
  keys: SigningKeyCache | undefined,
  epoch: number,
  device: Device,
  sealed: string,
  signDate: string,
  signDay: number,
  now: number,
): Buffer | null {
  const src = { deviceId: device.id, accountId: device.accountId, secretSource: device.secretSource, sealed };
  const cached = keys?.get(src, signDate, now);
  if (cached !== undefined) return cached;
  const secret = openSigningSecret(ctx, device, sealed);
  if (secret === null) return null;
  const key = signingKey(secret, signDate);
  keys?.store(src, signDate, signDay, key, epoch, now);
  return key;
}

/** What the checks before the device lookup found: the request's instant, its Authorization, its signDate's midnight. */
interface Checked {
  at: number;
  auth: ParsedAuthorization;
  signDay: number;
}

/** The checks of SIGNING.md that need no device, in its order: a refusal, or what the rest goes on with. */
function checkHeaders(req: SignedRequest, now: number): Checked | SignatureResult {
  if (!req.timestamp || !req.authorization) return fail('MISSING_HEADERS');
  const at = parseTimestamp(req.timestamp);
  if (at === null) return fail('BAD_TIMESTAMP');
  if (Math.abs(now - at) > TIMESTAMP_WINDOW_MS) return fail('TIMESTAMP_OUT_OF_WINDOW');
  const auth = parseAuthorization(req.authorization);
  const signDay = auth && parseSignDate(auth.signDate);
  if (!auth || signDay === null) return fail('MALFORMED_AUTHORIZATION');
  if (now < signDay || now >= signDay + SIGN_DATE_VALIDITY_MS) return fail('SIGN_DATE_OUT_OF_RANGE');
  return { at, auth, signDay };
}

/** The request's signature under `signKey`, compared in constant time with the one it carries. */
function signatureMatches(signKey: Buffer, req: SignedRequest, auth: ParsedAuthorization): boolean {
  const expected = signatureWithKey(signKey, auth.signDate, {
    method: req.method,
    path: req.path,
    host: req.host,
    timestamp: req.timestamp as string,
    bodyHash: (req.bodyHash ?? EMPTY_BODY_HASH).toLowerCase(),
  });
  return timingSafeEqual(expected, Buffer.from(auth.signature, 'hex'));
}

/**
 * Checks a CTN1-HMAC-SHA256 signed request (docs/devices.md), in SIGNING.md's order. Unknown
 * devices and wrong signatures give the same INVALID_SIGNATURE; DEVICE_DISABLED and REPLAYED
 * are only reported for a correct signature, so they reveal nothing to a caller without the secret.
 * A secret that cannot be opened answers SECRET_UNAVAILABLE (never an exception, so never a 5xx),
 * without the device or account id.
 */
export async function verifySignedRequest(ctx: AuthCtx, req: SignedRequest): Promise<SignatureResult> {
  const now = ctx.now();
  const checked = checkHeaders(req, now);
  if ('code' in checked) return checked;
  const { at, auth, signDay } = checked;

  const keys = ctx.deviceCache?.signingKeys;
  // Taken before the read: a key derived from a record read across a reset is not kept.
  const epoch = keys?.epoch ?? 0;
  const record = await ctx.deviceLookup(auth.deviceId);
  let signKey = DUMMY_SIGN_KEY;
  if (record?.sealedSecret != null) {
    const found = signingKeyOf(ctx, keys, epoch, record.device, record.sealedSecret, auth.signDate, signDay, now);
    if (found === null) return fail('SECRET_UNAVAILABLE');
    signKey = found;
  }
  const matches = signatureMatches(signKey, req, auth);
  if (!record || record.sealedSecret === null || !matches) return fail('INVALID_SIGNATURE');

  const { device } = record;
  const found = { deviceId: device.id, accountId: device.accountId };
  if (device.status !== 'active') return { valid: false, code: 'DEVICE_DISABLED', ...found };
  if (!(await ctx.replay.claim(device.id, auth.signature, at + TIMESTAMP_WINDOW_MS, now))) {
    return { valid: false, code: 'REPLAYED', ...found };
  }
  // The use itself (last used time, counts) is recorded by the caller once the account's limits
  // have decided (ctx.usage.recordDevice / recordDeviceRejected), and written in the usage flush.
  return { valid: true, code: 'VALID', ...found };
}

/**
 * `verifySignedRequest` answered in the same event-loop turn, for the common case: the device's
 * record and its signing key for the signDate in the device cache, an in-process replay guard, and
 * nothing else to wait for. Undefined when any of these is missing, decided before anything is
 * recorded (no replay claim, no counter), so the caller runs `verifySignedRequest` instead and
 * the answer is the same. Same steps, same order, same answers; `record` (when valid) is the device
 * cache's record, immutable and replaced on every change, which callers may key prepared answers by.
 */
export function verifySignedRequestNow(
  ctx: AuthCtx,
  req: SignedRequest,
): { result: SignatureResult; record: DeviceSigningRecord | null } | undefined {
  const now = ctx.now();
  const checked = checkHeaders(req, now);
  if ('code' in checked) return { result: checked, record: null };
  const { at, auth } = checked;
  const cache = ctx.deviceCache;
  const replay = ctx.replay;
  if (cache === undefined || replay.claimNow === undefined) return undefined;
  const record = cache.peek(auth.deviceId);
  if (record === undefined) return undefined;
  let signKey = DUMMY_SIGN_KEY;
  if (record?.sealedSecret != null) {
    const { device, sealedSecret } = record;
    const src = { deviceId: device.id, accountId: device.accountId, secretSource: device.secretSource, sealed: sealedSecret };
    const found = cache.signingKeys.peek(src, auth.signDate, now);
    if (found === undefined) return undefined; // the secret is to be opened: verifySignedRequest does it
    signKey = found;
  }
  const matches = signatureMatches(signKey, req, auth);
  if (record === null || record.sealedSecret === null || !matches) return { result: fail('INVALID_SIGNATURE'), record: null };

  const { device } = record;
  const found = { deviceId: device.id, accountId: device.accountId };
  if (device.status !== 'active') return { result: { valid: false, code: 'DEVICE_DISABLED', ...found }, record };
  if (!replay.claimNow(device.id, auth.signature, at + TIMESTAMP_WINDOW_MS, now)) {
    return { result: { valid: false, code: 'REPLAYED', ...found }, record };
  }
  return { result: { valid: true, code: 'VALID', ...found }, record };
}
