import { hashSecret, isWellFormedKey } from '../core/key-format.js';
import { keyStatus } from '../core/model.js';
import type { KeyVerificationRecord } from '../store/repos/keys.js';
import type { AuthCtx } from './context.js';

export const VERIFY_CODES = ['VALID', 'NOT_FOUND', 'MALFORMED', 'REVOKED', 'EXPIRED', 'DISABLED', 'INSUFFICIENT_SCOPE'] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];

export interface VerifyResult {
  valid: boolean;
  code: VerifyCode;
  keyId: string | null;
  accountId: string | null;
  applicationId: string | null;
  kind: 'application' | 'customer' | null;
  scopes: string[];
  expiresAt: number | null;
  /** The key's creator, for callers that act on the key's behalf (management API). */
  createdBy: string | null;
}

const EMPTY = { keyId: null, accountId: null, applicationId: null, kind: null, scopes: [], expiresAt: null, createdBy: null };

/** The answer for a presented key of the wrong shape or checksum. */
export const MALFORMED_RESULT: Readonly<VerifyResult> = Object.freeze({ valid: false, code: 'MALFORMED', ...EMPTY });

/**
 * Pure decision over a looked-up record: the order of checks is the order of the codes' precedence.
 * The clock matters only through the key's expiry (`validUntil` relies on that).
 */
export function decide(record: KeyVerificationRecord | undefined, required: readonly string[], now: number): VerifyResult {
  if (!record) return { valid: false, code: 'NOT_FOUND', ...EMPTY };
  const { key } = record;
  const base = {
    keyId: key.id,
    accountId: key.accountId,
    applicationId: key.applicationId,
    kind: key.kind,
    scopes: key.scopes,
    expiresAt: key.expiresAt,
    createdBy: key.createdBy,
  };
  const status = keyStatus(key, now);
  if (status === 'revoked') return { valid: false, code: 'REVOKED', ...base };
  // A revoked application, a deleted key creator, or a deleted application creator (a `disabled` application).
  if (record.creatorDeleted || (record.applicationStatus !== null && record.applicationStatus !== 'active')) {
    return { valid: false, code: 'DISABLED', ...base };
  }
  if (status === 'expired') return { valid: false, code: 'EXPIRED', ...base };
  if (required.some((s) => !key.scopes.includes(s))) return { valid: false, code: 'INSUFFICIENT_SCOPE', ...base };
  return { valid: true, code: 'VALID', ...base };
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
): VerifyResult | Promise<VerifyResult> {
  const p = prepare(ctx, presented, requiredScopes);
  if (!('keyHash' in p)) return p;
  const known = ctx.keyPeek(p.keyHash);
  if (known !== undefined) return decide(known ?? undefined, p.required, ctx.now());
  return ctx.keyLookup(p.keyHash).then((record) => decide(record, p.required, ctx.now()));
}

export async function verifyKey(ctx: AuthCtx, presented: string, requiredScopes: readonly string[] = []): Promise<VerifyResult> {
  return verifyKeySoon(ctx, presented, requiredScopes);
}

/** Counts a successful verification towards the key's last-used time and usage. */
export function recordUse(ctx: AuthCtx, result: Pick<VerifyResult, 'valid' | 'keyId'>): void {
  if (result.valid && result.keyId) ctx.usage.record(result.keyId, ctx.now());
}
