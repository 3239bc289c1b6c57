import { applyLimits, decide, isLimited, peekPresented, type VerifyResult, validUntil } from '../auth/access-key.js';
import { customerIdSoon, deviceLimitsVerdict, limitedVerdict, scopeDenied } from '../auth/authorize-request.js';
import { verifySignedRequestNow } from '../auth/device-signature.js';
import { CTN1_SCHEME, parseGatewayCredential } from '../auth/gateway-credential.js';
import type { Runtime } from '../compose.js';
import type { CatalogueIndex, ScopeMatcher } from '../core/catalogue.js';
import { ERROR_CODES, type ErrorCode, httpStatusOf, type KeywardError } from '../core/errors.js';
import type { DeviceLimitDecision, LimitState } from '../core/ratelimit.js';
import type { DeviceSigningRecord } from '../store/repos/devices.js';
import type { KeyVerificationRecord } from '../store/repos/keys.js';
import { pushRateLimitHeaders } from './ratelimit-headers.js';

const JSON_TYPE = 'application/json; charset=utf-8';
/**
 * `Bearer <key>` or a bare key, read as parseGatewayCredential reads them: a match is always
 * its `{ scheme: 'key' }`; anything else (other spacing, `BEARER`, CTN1) is parsed by it.
 */
const CTN1_PREFIX = `${CTN1_SCHEME} `;
const PLAIN_KEY = /^(?:[Bb]earer )?([0-9A-Za-z_]{1,512})$/;

/** What `authorizeRequest` is asked, as the gateway paths read it from their request. */
export interface NowRequest {
  authorization: string | undefined;
  method: string;
  uri: string;
  host: string | undefined;
  /** X-Bcot-Timestamp of a CTN1-signed request. */
  timestamp: string | undefined;
  /** The body's SHA-256 (hex) a CTN1 signature covers. */
  contentSha256: string | undefined;
}

/**
 * An allowed request, as `authorizeRequest`'s decision would be answered: the /v1/authorize
 * answer ready for writeHead (the request id goes in at `REQUEST_ID_AT`), and what the proxy
 * forwards (identity headers, limits). Prepared once per cached record when the key has no limits.
 */
export interface Allowed {
  kind: 'allowed';
  headers: string[];
  body: string;
  identity: Record<string, string>;
  limits: readonly LimitState[] | undefined;
  accountId: string;
  keyId: string | null;
  deviceId: string | null;
}

/** A 401 without details: its body around the request id, and its length without it, made once per code. */
export interface Refusal {
  kind: 'refused';
  code: ErrorCode;
  status: number;
  head: string;
  length: number;
}

/** A refusal with its own message and details (SCOPE_DENIED) is a KeywardError; RATE_LIMITED and USAGE_EXCEEDED are thrown. */
export type NowOutcome = Allowed | Refusal | KeywardError;

export const REQUEST_ID_AT = 5;
export const REFUSAL_TAIL = '"}}';

/**
 * `authorizeRequest`'s decision taken with the same steps, in the same order, without its promise
 * chain where the caches allow: a bearer key (cached: at once; else after one key read) and a
 * CTN1 signature `verifySignedRequestNow` can verify at once (device and signing key cached).
 * Undefined for every other credential (none, another scheme, a CTN1 request not verifiable now):
 * the caller runs `authorizeRequest`. Refusals of the limits are thrown (or rejected) as
 * `authorizeRequest` throws them. Usage is recorded here; metrics are the caller's.
 * Shared by GET /v1/authorize's fast path (fast-authorize.ts) and the reverse proxy (upstream-proxy.ts).
 */
export function decideNow(ctx: Runtime, r: NowRequest): NowOutcome | Promise<NowOutcome> | undefined {
  const authorization = r.authorization;
  if (authorization?.startsWith(CTN1_PREFIX)) {
    const signed = signedOutcome(ctx, r, authorization);
    if (signed !== undefined) return signed;
  }
  const key = keyOf(authorization);
  if (key === undefined) return undefined;
  const peeked = peekPresented(ctx, key);
  if (peeked === 'malformed') return refusalOf('MALFORMED');
  if (peeked.known !== undefined) return keyOutcome(ctx, peeked.known, r.method, r.uri);
  return ctx.keyLookup(peeked.keyHash).then((record) => keyOutcome(ctx, record ?? null, r.method, r.uri));
}

function keyOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const plain = PLAIN_KEY.exec(authorization);
  if (plain !== null) return plain[1];
  const credential = parseGatewayCredential(authorization);
  return credential.scheme === 'key' ? credential.key : undefined;
}

/** What a cached key record answers, prepared once per record (and again when the clock passes `until`). */
interface KeyAnswers {
  catalogue: CatalogueIndex;
  /** The answers hold while the clock is below this (`validUntil`: a valid key's expiry). */
  until: number;
  result: VerifyResult;
  /** The 401 of a refused key (revoked, disabled, expired). */
  refusal: Refusal | undefined;
  matcher: ScopeMatcher;
  customerId: string | undefined;
  /** The 200 of an unlimited key, by the scope that granted it (only the body's `scope` differs). */
  allowed: Map<string, Allowed>;
}

const answers = new WeakMap<KeyVerificationRecord, KeyAnswers>();

function answersOf(ctx: Runtime, record: KeyVerificationRecord, now: number): KeyAnswers {
  const kept = answers.get(record);
  if (kept !== undefined && now < kept.until && kept.catalogue === ctx.catalogue) return kept;
  const result = decide(record, [], now);
  const made: KeyAnswers = {
    catalogue: ctx.catalogue,
    until: validUntil(record, result),
    result,
    // decide() without required scopes refuses with REVOKED, DISABLED or EXPIRED: error codes of the same names.
    refusal: result.valid ? undefined : refusalOf(result.code as ErrorCode),
    matcher: ctx.catalogue.matcher(record.key.scopes),
    customerId: undefined,
    allowed: new Map(),
  };
  answers.set(record, made);
  return made;
}

/** The steps of `authorizeRequest` for a key, in its order: credential, catalogue, account, limits, use. */
function keyOutcome(ctx: Runtime, record: KeyVerificationRecord | null, method: string, uri: string): NowOutcome | Promise<NowOutcome> {
  if (record === null) return refusalOf('NOT_FOUND');
  const a = answersOf(ctx, record, ctx.now());
  if (a.refusal !== undefined) return a.refusal;
  const scope = a.matcher.scopeFor(method, uri);
  if (scope === undefined) return scopeDenied(method, uri);
  if (a.customerId === undefined) {
    const customerId = customerIdSoon(ctx, record.key.accountId);
    if (customerId instanceof Promise) {
      return customerId.then((id) => {
        a.customerId = id;
        return grant(ctx, record, a, scope);
      });
    }
    a.customerId = customerId;
  }
  return grant(ctx, record, a, scope);
}

function grant(ctx: Runtime, record: KeyVerificationRecord, a: KeyAnswers, scope: string): Allowed | Promise<Allowed> {
  if (isLimited(ctx, record)) {
    const limited = applyLimits(ctx, record, a.result, {});
    if (limited instanceof Promise) return limited.then((l) => grantLimited(ctx, a, scope, l));
    return grantLimited(ctx, a, scope, limited);
  }
  ctx.usage.record(record.key.id, ctx.now());
  let allowed = a.allowed.get(scope);
  if (allowed === undefined) {
    allowed = allowedOf(a, scope, undefined);
    a.allowed.set(scope, allowed);
  }
  return allowed;
}

/** A limited key's answer depends on its counters: decided, counted and built per request. */
function grantLimited(ctx: Runtime, a: KeyAnswers, scope: string, limited: VerifyResult): Allowed {
  const report = limitedVerdict(ctx, limited); // throws the 429, counted as a rejected use
  // Not reached: a limit refusal throws above, and every other refusal was answered before the limits.
  if (!limited.valid) throw new Error(`limits answered ${limited.code} for a valid key`);
  ctx.usage.record(limited.keyId, ctx.now());
  return allowedOf(a, scope, report?.limits);
}

function allowedOf(a: KeyAnswers, scope: string, limits: readonly LimitState[] | undefined): Allowed {
  const r = a.result as VerifyResult & { valid: true };
  const customerId = a.customerId as string;
  const body = JSON.stringify({
    allowed: true,
    accountId: r.accountId,
    customerId,
    keyId: r.keyId,
    applicationId: r.applicationId,
    kind: r.kind,
    scope,
  });
  const identity: Record<string, string> = {
    'x-keyward-account-id': r.accountId,
    'x-keyward-customer-id': customerId,
    'x-keyward-key-id': r.keyId,
    'x-keyward-application-id': r.applicationId ?? '',
    'x-keyward-key-kind': r.kind,
  };
  return allowedAnswer(body, identity, limits, r.accountId, r.keyId, null);
}

function allowedAnswer(
  body: string,
  identity: Record<string, string>,
  limits: readonly LimitState[] | undefined,
  accountId: string,
  keyId: string | null,
  deviceId: string | null,
): Allowed {
  const extra: string[] = [];
  pushRateLimitHeaders(limits, extra);
  return { kind: 'allowed', headers: headersOf(body, '', identity, extra), body, identity, limits, accountId, keyId, deviceId };
}

/** content-type, content-length, x-request-id (at REQUEST_ID_AT), the identity headers, the limits, cache-control. */
export function headersOf(body: string, requestId: string, identity: Record<string, string>, extra: string[]): string[] {
  const out = ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body)), 'x-request-id', requestId];
  for (const name of Object.keys(identity)) out.push(name, identity[name] as string);
  out.push(...extra, 'cache-control', 'no-store');
  return out;
}

/** What a cached device record answers once its signature passed, prepared once per record and catalogue. */
interface DeviceAnswers {
  catalogue: CatalogueIndex;
  matcher: ScopeMatcher;
  customerId: string | undefined;
  /** The 200 without limits, by the scope that granted it. */
  allowed: Map<string, Allowed>;
}

const deviceAnswers = new WeakMap<DeviceSigningRecord, DeviceAnswers>();

/**
 * A CTN1-signed request, decided with `authorizeRequest`'s steps for a device (signature,
 * catalogue, account, the account's limits) when `verifySignedRequestNow` can verify it at once:
 * a CTN1 header as `parseGatewayCredential` passes it on, the device and its signing key cached,
 * the in-process replay guard. Undefined otherwise, with nothing recorded, and the caller runs
 * `authorizeRequest`. The prepared answers go with the device record, replaced on every device or account change.
 */
function signedOutcome(ctx: Runtime, r: NowRequest, authorization: string): NowOutcome | Promise<NowOutcome> | undefined {
  // Starting with the scheme and a space, with nothing to trim: parseGatewayCredential reads it as CTN1 and passes it on as it stands.
  if (authorization.trim() !== authorization) return undefined;
  const { method, uri } = r;
  const verified = verifySignedRequestNow(ctx, {
    method,
    path: uri,
    host: r.host ?? '',
    timestamp: r.timestamp,
    authorization,
    bodyHash: r.contentSha256,
  });
  if (verified === undefined) return undefined;
  const { result, record } = verified;
  // Refusals carry no details: SIGNATURE_REFUSALS maps each code to the error code of its name.
  if (!result.valid) return refusalOf(result.code);
  const rec = record as DeviceSigningRecord;
  let a = deviceAnswers.get(rec);
  if (a === undefined || a.catalogue !== ctx.catalogue) {
    a = {
      catalogue: ctx.catalogue,
      matcher: ctx.catalogue.matcher(ctx.catalogue.deviceScopes()),
      customerId: undefined,
      allowed: new Map(),
    };
    deviceAnswers.set(rec, a);
  }
  const scope = a.matcher.scopeFor(method, uri);
  if (scope === undefined) return scopeDenied(method, uri);
  const da = a;
  if (da.customerId === undefined) {
    const customerId = customerIdSoon(ctx, result.accountId);
    if (customerId instanceof Promise) {
      return customerId.then((id) => {
        da.customerId = id;
        return deviceLimited(ctx, result.accountId, result.deviceId, da, scope);
      });
    }
    da.customerId = customerId;
  }
  return deviceLimited(ctx, result.accountId, result.deviceId, da, scope);
}

function deviceLimited(ctx: Runtime, accountId: string, deviceId: string, a: DeviceAnswers, scope: string): Allowed | Promise<Allowed> {
  const d = ctx.deviceLimits === undefined ? null : ctx.deviceLimits.check(accountId, deviceId);
  if (d instanceof Promise) return d.then((decided) => deviceGrant(ctx, accountId, deviceId, a, scope, decided));
  return deviceGrant(ctx, accountId, deviceId, a, scope, d);
}

function deviceGrant(ctx: Runtime, accountId: string, deviceId: string, a: DeviceAnswers, scope: string, d: DeviceLimitDecision): Allowed {
  const report = deviceLimitsVerdict(ctx, d, deviceId); // throws the 429 (a refusal counted)
  // A use of the device, as authorizeRequest records it once the account's limits let it through.
  ctx.usage.recordDevice(deviceId, ctx.now());
  if (report !== null) return deviceAllowedOf(accountId, deviceId, a.customerId as string, scope, report.limits);
  let allowed = a.allowed.get(scope);
  if (allowed === undefined) {
    allowed = deviceAllowedOf(accountId, deviceId, a.customerId as string, scope, undefined);
    a.allowed.set(scope, allowed);
  }
  return allowed;
}

/** A device's 200, as `sendDecision` writes it for a device identity. */
function deviceAllowedOf(
  accountId: string,
  deviceId: string,
  customerId: string,
  scope: string,
  limits: readonly LimitState[] | undefined,
): Allowed {
  const body = JSON.stringify({ allowed: true, accountId, customerId, keyId: null, applicationId: null, kind: 'device', scope });
  const identity: Record<string, string> = {
    'x-keyward-account-id': accountId,
    'x-keyward-customer-id': customerId,
    'x-keyward-key-id': '',
    'x-keyward-application-id': '',
    'x-keyward-key-kind': 'device',
    'x-keyward-device-id': deviceId,
  };
  return allowedAnswer(body, identity, limits, accountId, null, deviceId);
}

const refusals = new Map<ErrorCode, Refusal>();

export function refusalOf(code: ErrorCode): Refusal {
  let r = refusals.get(code);
  if (r === undefined) {
    // requestId is the envelope's last field and needs no escaping (req_ + base62).
    const head = JSON.stringify({ error: { code, message: ERROR_CODES[code], requestId: '' } }).slice(0, -REFUSAL_TAIL.length);
    r = { kind: 'refused', code, status: httpStatusOf(code), head, length: Buffer.byteLength(head) + REFUSAL_TAIL.length };
    refusals.set(code, r);
  }
  return r;
}
