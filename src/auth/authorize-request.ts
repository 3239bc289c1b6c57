import { KeywardError } from '../core/errors.js';
import type { DeviceLimitDecision, LimitReport } from '../core/ratelimit.js';
import { findAccount } from '../store/repos/accounts.js';
import { applyLimits, type VerifyResult, verifiedKeyOf } from './access-key.js';
import type { AuthCtx } from './context.js';
import { type GatewayIdentity, type GatewayRequest, resolveGatewayCredential } from './gateway-credential.js';

export interface GatewayDecision {
  identity: GatewayIdentity;
  customerId: string;
  /** The scope whose grant let the request through. */
  scope: string;
  /** The rate limits and quotas applied, when the key or its account has any. */
  limits: LimitReport | null;
}

// Customer IDs never change once an account exists, so each node can keep them.
const customerIds = new WeakMap<AuthCtx, Map<string, string>>();
const MAX_CACHED_ACCOUNTS = 10_000;

function customerCache(ctx: AuthCtx): Map<string, string> {
  let cache = customerIds.get(ctx);
  if (!cache) {
    cache = new Map();
    customerIds.set(ctx, cache);
  }
  return cache;
}

/** The account's customer ID: at once when this node knows it, else after one store read. */
export function customerIdSoon(ctx: AuthCtx, accountId: string): string | Promise<string> {
  const cache = customerCache(ctx);
  return cache.get(accountId) ?? loadCustomerId(ctx, cache, accountId);
}

async function loadCustomerId(ctx: AuthCtx, cache: Map<string, string>, accountId: string): Promise<string> {
  const account = await findAccount(ctx.store.db, accountId);
  if (!account) throw new KeywardError('DISABLED', "The credential's account no longer exists.");
  if (cache.size >= MAX_CACHED_ACCOUNTS) cache.clear();
  cache.set(accountId, account.customerId);
  return account.customerId;
}

/** The 403 for a request no held scope grants (`path` is the URI without its query). */
export function scopeDenied(method: string, uri: string): KeywardError {
  const path = uri.split(/[?#]/, 1)[0] ?? '';
  const verb = method.toUpperCase();
  return new KeywardError('SCOPE_DENIED', `No scope of this credential grants ${verb} ${path}.`, { method: verb, path });
}

/**
 * A key's limits applied once the catalogue has let its request through: the report to answer
 * with (RateLimit-* headers), or the 429 to throw. Counts the use or the refusal, as
 * `recordUse` does for verification.
 */
export function limitedVerdict(ctx: AuthCtx, limited: VerifyResult): LimitReport | null {
  const limits = verifiedKeyOf(limited)?.limits ?? null;
  if (!limited.valid && (limited.code === 'RATE_LIMITED' || limited.code === 'USAGE_EXCEEDED')) {
    ctx.usage.recordRejected(limited.keyId, ctx.now());
    throw new KeywardError(limited.code, limitMessage(limited.code, limits), limitDetails(limits));
  }
  return limits;
}

/**
 * The gateway's question: may this caller make this request to the operator's API?
 * 401 codes for a bad credential, SCOPE_DENIED when no held scope grants method + path.
 * Only allowed requests count as a use of the key. The same-turn decision (src/http/gateway-decision.ts,
 * used by the /v1/authorize fast path and the reverse proxy) takes cached bearer keys and cached
 * CTN1 devices through the same steps, in the same order.
 */
export async function authorizeRequest(ctx: AuthCtx, req: GatewayRequest): Promise<GatewayDecision> {
  const identity = await resolveGatewayCredential(ctx, req);
  const scope = ctx.catalogue.grantingScope(identity.scopes, req.method, req.uri);
  if (scope === undefined) throw scopeDenied(req.method, req.uri);
  const customerId = await customerIdSoon(ctx, identity.accountId);
  let limits: LimitReport | null = null;
  if (identity.verified) {
    limits = limitedVerdict(ctx, await applyLimits(ctx, identity.verified.record, identity.verified.result, {}));
  } else if (identity.deviceId !== null && ctx.deviceLimits !== undefined) {
    // A signed device request: its account's limits (src/service/limits.ts DeviceLimits).
    limits = deviceLimitsVerdict(ctx, await ctx.deviceLimits.check(identity.accountId, identity.deviceId), identity.deviceId);
  }
  if (identity.keyId) ctx.usage.record(identity.keyId, ctx.now());
  else if (identity.deviceId !== null) ctx.usage.recordDevice(identity.deviceId, ctx.now());
  return { identity, customerId, scope, limits };
}

/** A signed device request's account limits decided: the report to answer with, or the 429 to throw. */
export function deviceLimitsVerdict(ctx: AuthCtx, d: DeviceLimitDecision, deviceId: string): LimitReport | null {
  const limits = d?.report ?? null;
  if (d !== null && !d.allowed) {
    ctx.usage.recordDeviceRejected(deviceId, ctx.now());
    throw new KeywardError(d.code, limitMessage(d.code, limits, 'account'), limitDetails(limits));
  }
  return limits;
}

function limitMessage(code: 'RATE_LIMITED' | 'USAGE_EXCEEDED', r: LimitReport | null, of: 'key' | 'account' = 'key'): string {
  if (code === 'USAGE_EXCEEDED') return `The ${of}'s quota of credits is spent until its next refill.`;
  const over = r?.limits.filter((l) => l.remaining === 0).map((l) => l.name) ?? [];
  return `Rate limit${over.length === 1 ? '' : 's'} ${over.join(', ')} reached: retry later.`;
}

/** The error's details: the wait (Retry-After) and the limits (RateLimit-* headers, see http/ratelimit-headers.ts). */
export function limitDetails(r: LimitReport | null): Record<string, unknown> {
  if (r === null) return {};
  const refill =
    r.quotas.every((q) => q.refillAt !== null) && r.quotas.length > 0 ? Math.min(...r.quotas.map((q) => q.refillAt ?? 0)) : null;
  return {
    ...(r.retryAfterMs !== null && { retryAfterSeconds: Math.max(1, Math.ceil(r.retryAfterMs / 1000)) }),
    ratelimits: r.limits,
    quotas: r.quotas,
    ...(r.retryAfterMs === null && refill !== null && { refillAt: refill }),
  };
}

/** The identity headers an allowed request carries upstream. */
export function identityHeaders(d: GatewayDecision): Record<string, string> {
  return {
    'x-keyward-account-id': d.identity.accountId,
    'x-keyward-customer-id': d.customerId,
    'x-keyward-key-id': d.identity.keyId ?? '',
    'x-keyward-application-id': d.identity.applicationId ?? '',
    'x-keyward-key-kind': d.identity.kind,
    ...(d.identity.deviceId !== null && { 'x-keyward-device-id': d.identity.deviceId }),
  };
}
