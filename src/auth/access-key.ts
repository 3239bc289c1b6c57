import type { KeyKind } from '../core/catalogue.js';
import { hashSecret, isWellFormedKey } from '../core/key-format.js';
import { keyStatus } from '../core/model.js';
import {
  type CheckOutcome,
  type CheckRequest,
  type KeyLimits,
  type LimitAsk,
  type LimitCheck,
  type LimitReport,
  limitChecksFor,
  type PlanDef,
  type QuotaCheck,
  quotaChecksFor,
  reportOf,
} from '../core/ratelimit.js';
import type { KeyVerificationRecord } from '../store/repos/keys.js';
import type { AuthCtx } from './context.js';

/**
 * The answers of key verification: their own type, not error codes. (The gateway answers a
 * refused key with a 401 whose error code has the same name: see gateway-credential.ts.)
 */
export const VERIFY_CODES = [
  'VALID',
  'NOT_FOUND',
  'MALFORMED',
  'REVOKED',
  'EXPIRED',
  'DISABLED',
  'INSUFFICIENT_SCOPE',
  'RATE_LIMITED',
  'USAGE_EXCEEDED',
] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];
/** Codes for a presented key that matches no stored key: nothing is known about it. */
export type UnknownKeyCode = 'MALFORMED' | 'NOT_FOUND';
/** Codes for a stored key that does not let its holder through. */
export type RefusedKeyCode = Exclude<VerifyCode, 'VALID' | UnknownKeyCode>;

/** What verification tells about a key it found. */
export interface VerifiedKey {
  keyId: string;
  accountId: string;
  applicationId: string | null;
  kind: KeyKind;
  scopes: string[];
  expiresAt: number | null;
  /** The key's creator, for callers that act on the key's behalf (management API). */
  createdBy: string;
  /** The rate limits and quotas applied to this verification, when the key or its account has any. */
  limits?: LimitReport | undefined;
}

/**
 * A verification's answer. Only a found key carries its facts, so no caller can read a key id
 * for a key that does not exist; `valid: true` narrows to the one variant a caller may act on.
 */
export type VerifyResult =
  | ({ valid: true; code: 'VALID' } & VerifiedKey)
  | ({ valid: false; code: RefusedKeyCode } & VerifiedKey)
  | { valid: false; code: UnknownKeyCode };

/** The found key of a result, or null when the presented key matched none. */
export function verifiedKeyOf(result: VerifyResult): VerifiedKey | null {
  return 'keyId' in result ? result : null;
}

/** The answer for a presented key of the wrong shape or checksum. */
export const MALFORMED_RESULT: Readonly<VerifyResult> = Object.freeze({ valid: false, code: 'MALFORMED' });
const NOT_FOUND_RESULT: Readonly<VerifyResult> = Object.freeze({ valid: false, code: 'NOT_FOUND' });

/**
 * Pure decision over a looked-up record: the order of checks is the order of the codes' precedence.
 * The clock matters only through the key's expiry (`validUntil` relies on that).
 */
export function decide(record: KeyVerificationRecord | undefined, required: readonly string[], now: number): VerifyResult {
  if (!record) return NOT_FOUND_RESULT;
  const { key } = record;
  const found: VerifiedKey = {
    keyId: key.id,
    accountId: key.accountId,
    applicationId: key.applicationId,
    kind: key.kind,
    scopes: key.scopes,
    expiresAt: key.expiresAt,
    createdBy: key.createdBy,
  };
  const status = keyStatus(key, now);
  if (status === 'revoked') return { valid: false, code: 'REVOKED', ...found };
  // A revoked application, a deleted key creator, or a deleted application creator (a `disabled` application).
  if (record.creatorDeleted || (record.applicationStatus !== null && record.applicationStatus !== 'active')) {
    return { valid: false, code: 'DISABLED', ...found };
  }
  if (status === 'expired') return { valid: false, code: 'EXPIRED', ...found };
  if (required.some((s) => !key.scopes.includes(s))) return { valid: false, code: 'INSUFFICIENT_SCOPE', ...found };
  return { valid: true, code: 'VALID', ...found };
}

/**
 * Until when `decide(record, [], now)` keeps giving the answer it gives at `now`: a valid key
 * turns EXPIRED at its expiry; every other answer only changes with the record, and a changed
 * record is a new object (the cache drops the old one on every change).
 */
export function validUntil(record: KeyVerificationRecord, result: VerifyResult): number {
  return result.valid && record.key.expiresAt !== null ? record.key.expiresAt : Number.POSITIVE_INFINITY;
}

/**
 * The first half of a verification without required scopes: `'malformed'`, or the key's hash
 * with what the cache knows of it (the record, `null` when known not to exist, `undefined`
 * when only `ctx.keyLookup(keyHash)` can tell).
 */
export function peekPresented(
  ctx: AuthCtx,
  presented: string,
): 'malformed' | { keyHash: string; known: KeyVerificationRecord | null | undefined } {
  if (!isWellFormedKey(presented)) return 'malformed';
  const keyHash = hashSecret(presented);
  return { keyHash, known: ctx.keyPeek(keyHash) };
}

/** What a verification needs before any lookup: the answer already, or the hash to look up. */
function prepare(
  ctx: AuthCtx,
  presented: string,
  requiredScopes: readonly string[],
): VerifyResult | { keyHash: string; required: string[] } {
  if (!isWellFormedKey(presented)) return MALFORMED_RESULT;
  const { scopes, unknown } = ctx.catalogue.expand(requiredScopes.filter((s) => !ctx.catalogue.isManagementScope(s)));
  const required = [...scopes, ...unknown, ...requiredScopes.filter((s) => ctx.catalogue.isManagementScope(s))];
  return { keyHash: hashSecret(presented), required };
}

/**
 * Verifies a presented access key. Malformed keys (wrong shape or checksum) are refused
 * before any lookup. Required names may be scopes or roles; an unknown name can never be
 * satisfied. Answers synchronously when no store read is needed (malformed, or the cache
 * already knows the hash), so the hot path can reply without a promise turn; otherwise a
 * promise of the answer.
 */
export function verifyKeySoon(
  ctx: AuthCtx,
  presented: string,
  requiredScopes: readonly string[] = [],
  limits?: LimitOptions,
): VerifyResult | Promise<VerifyResult> {
  const p = prepare(ctx, presented, requiredScopes);
  if (!('keyHash' in p)) return p;
  const known = ctx.keyPeek(p.keyHash);
  if (known !== undefined) return decideAndLimit(ctx, known ?? undefined, p.required, limits);
  return ctx.keyLookup(p.keyHash).then((record) => decideAndLimit(ctx, record, p.required, limits));
}

function decideAndLimit(
  ctx: AuthCtx,
  record: KeyVerificationRecord | undefined,
  required: readonly string[],
  limits: LimitOptions | undefined,
): VerifyResult | Promise<VerifyResult> {
  const result = decide(record, required, ctx.now());
  return limits === undefined || record === undefined ? result : applyLimits(ctx, record, result, limits);
}

/** What a verification asks of the limits: named ones at their cost (else all at cost 1), and credits to spend. */
export interface LimitOptions {
  asks?: readonly LimitAsk[] | undefined;
  credits?: number | undefined;
}

/** The limits of a record, as the engines take them. */
export function limitsOf(record: KeyVerificationRecord): KeyLimits {
  return {
    keyId: record.key.id,
    accountId: record.key.accountId,
    key: { ratelimits: record.key.ratelimits, quota: record.key.quota },
    account: record.account,
  };
}

/** Whether any limit or quota applies to this key: keys without pay nothing more. */
export function isLimited(ctx: AuthCtx, record: KeyVerificationRecord): boolean {
  // On every verification: a few field checks and no allocation, so keys without limits pay next to nothing.
  const { key, account } = record;
  if (key.ratelimits.length > 0 || key.quota !== null || account.ratelimits.length > 0 || account.quota !== null) return true;
  return account.plan !== null && (ctx.catalogue.plans.get(account.plan)?.ratelimits.length ?? 0) > 0;
}

/**
 * Applies the key's and its account's limits to a valid verification: all of them at once,
 * consuming nothing when one refuses (RATE_LIMITED, USAGE_EXCEEDED). Refused keys (revoked,
 * expired, …) never reach a counter, so they answer what they are even while over a limit.
 */
export function applyLimits(
  ctx: AuthCtx,
  record: KeyVerificationRecord,
  result: VerifyResult,
  opts: LimitOptions,
): VerifyResult | Promise<VerifyResult> {
  if (!result.valid || !isLimited(ctx, record)) return result;
  const now = ctx.now();
  // Without named asks and quotas (the usual limited key), nothing here is built per request.
  const noQuota = record.key.quota === null && record.account.quota === null;
  const l = opts.asks === undefined && noQuota ? undefined : limitsOf(record);
  const req: CheckRequest = {
    limits:
      opts.asks === undefined ? everyLimitOf(ctx, record) : limitChecksFor(l as KeyLimits, ctx.catalogue.plans, opts.asks, ctx.limitShare),
    quotas: noQuota ? NO_QUOTA_CHECKS : quotaChecksFor(l as KeyLimits, opts.credits ?? 1, now),
    now,
  };
  if (req.limits.length === 0 && req.quotas.length === 0) return result;
  const outcome = ctx.limiter.check(req);
  const observe = ctx.limitObserver;
  if (outcome instanceof Promise) {
    return outcome.then((o) => {
      observe?.(record, req, o);
      return limitedResult(result, o);
    });
  }
  observe?.(record, req, outcome);
  return limitedResult(result, outcome);
}

/**
 * A record's limit checks when a verification names none (all of them at cost 1): they depend
 * only on the record, the plans and the share, so they are computed once per cached record
 * (records are immutable and replaced on every change) and their counter names stay the same
 * strings (hashed once by the engines' maps).
 */
const everyLimit = new WeakMap<KeyVerificationRecord, { plans: ReadonlyMap<string, PlanDef>; share: number; limits: LimitCheck[] }>();

function everyLimitOf(ctx: AuthCtx, record: KeyVerificationRecord): LimitCheck[] {
  const plans = ctx.catalogue.plans;
  const kept = everyLimit.get(record);
  if (kept !== undefined && kept.plans === plans && kept.share === ctx.limitShare) return kept.limits;
  const limits = limitChecksFor(limitsOf(record), plans, undefined, ctx.limitShare);
  everyLimit.set(record, { plans, share: ctx.limitShare, limits });
  return limits;
}

/** The quota checks of a record without quotas: shared, never written to (as `quotaChecksFor` gives). */
const NO_QUOTA_CHECKS: QuotaCheck[] = Object.freeze([]) as unknown as QuotaCheck[];

function limitedResult(result: VerifyResult & { valid: true }, o: CheckOutcome): VerifyResult {
  // Spelled out rather than spread: this runs on every verification of a limited key.
  const { keyId, accountId, applicationId, kind, scopes, expiresAt, createdBy } = result;
  const limits = reportOf(o);
  if (o.allowed) return { valid: true, code: 'VALID', keyId, accountId, applicationId, kind, scopes, expiresAt, createdBy, limits };
  return { valid: false, code: o.code, keyId, accountId, applicationId, kind, scopes, expiresAt, createdBy, limits };
}

/** A verification without scopes or limits, with the record it decided on (the gateway applies limits after the catalogue). */
export async function verifyKeyWithRecord(
  ctx: AuthCtx,
  presented: string,
): Promise<{ result: VerifyResult; record: KeyVerificationRecord | undefined }> {
  if (!isWellFormedKey(presented)) return { result: MALFORMED_RESULT, record: undefined };
  const keyHash = hashSecret(presented);
  const known = ctx.keyPeek(keyHash);
  const record = known !== undefined ? (known ?? undefined) : await ctx.keyLookup(keyHash);
  return { result: decide(record, [], ctx.now()), record };
}

export async function verifyKey(ctx: AuthCtx, presented: string, requiredScopes: readonly string[] = []): Promise<VerifyResult> {
  return verifyKeySoon(ctx, presented, requiredScopes);
}

/**
 * Counts a successful verification towards the key's last-used time and usage, and one a rate
 * limit or quota refused towards the key's rejected count (not a use).
 */
export function recordUse(ctx: AuthCtx, result: VerifyResult): void {
  if (result.valid) ctx.usage.record(result.keyId, ctx.now());
  else if (result.code === 'RATE_LIMITED' || result.code === 'USAGE_EXCEEDED') ctx.usage.recordRejected(result.keyId, ctx.now());
}
