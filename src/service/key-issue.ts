import type { KeyKind } from '../core/catalogue.js';
import { KeywardError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { displayStart, generateKey, hashSecret } from '../core/key-format.js';
import type { AccessKey, Account } from '../core/model.js';
import { MANAGEMENT_SCOPE_PREFIX, type Principal } from '../core/permissions.js';
import type { QuotaSpec, RateLimitSpec } from '../core/ratelimit.js';
import { lockAccount } from '../store/repos/accounts.js';
import { countLiveCustomerKeys, countLiveKeys, insertKey } from '../store/repos/keys.js';
import type { Db } from '../store/store.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { actorIdOf, emit, keyEventData } from './events.js';
import { type QuotaInputValue, quotaSpec, startQuotaCounter } from './limits.js';

export interface KeyDraft {
  accountId: string;
  applicationId: string | null;
  kind: KeyKind;
  name: string;
  description: string;
  scopes: string[];
  roles: string[];
  expiresAt: number | null;
  createdBy: string;
  ratelimits: RateLimitSpec[];
  quota: QuotaSpec | null;
}

/** A new key record and its secret; nothing is stored yet. */
export function draftKey(ctx: Ctx, d: KeyDraft): { key: AccessKey; secret: string } {
  const now = ctx.now();
  const secret = generateKey();
  return {
    secret,
    key: {
      id: newId('key'),
      ...d,
      start: displayStart(secret),
      status: 'active',
      createdAt: now,
      updatedAt: now,
      revokedAt: null,
      lastUsedAt: null,
      usageCount: 0,
    },
  };
}

/**
 * Inserts a key inside `tx` if its container (the application, or the account for customer
 * keys) stays within the account's limit. The caller holds the account row lock in `tx`
 * (`lockAccount`, taken before counting): it serialises concurrent creations and rotations,
 * so two of them can never both see room for one more key. `rotating` only changes the advice
 * in the error: a rotation with an overlap keeps the old key live next to its successor, so it
 * needs the same room as a creation.
 */
export async function insertKeyWithinLimit(
  tx: Db,
  account: Account,
  key: AccessKey,
  secret: string,
  now: number,
  opts: { rotating?: boolean } = {},
): Promise<void> {
  const live =
    key.applicationId !== null ? await countLiveKeys(tx, key.applicationId, now) : await countLiveCustomerKeys(tx, account.id, now);
  if (live >= account.maxKeysPerApplication) {
    const where = key.applicationId !== null ? 'The application has' : 'The account has';
    const what = key.applicationId !== null ? 'active access keys' : 'active customer keys';
    const advice = opts.rotating
      ? 'A rotation with an overlap keeps the old key active next to the new one: rotate with overlapSeconds 0 to swap them at once, revoke another key first, or ask the operator to raise the limit.'
      : 'Revoke one first, or ask the operator to raise the limit.';
    throw new KeywardError('KEY_LIMIT_REACHED', `${where} ${live} ${what}, its maximum is ${account.maxKeysPerApplication}. ${advice}`, {
      limit: account.maxKeysPerApplication,
    });
  }
  await insertKey(tx, key, hashSecret(secret));
}

export interface CreateKeyInput {
  name: string;
  description?: string | undefined;
  /** Scope and role names; roles are expanded and the result is fixed for the key's life. */
  scopes: string[];
  expiresAt?: number | null | undefined;
  ratelimits?: RateLimitSpec[] | undefined;
  quota?: QuotaInputValue | null | undefined;
}

/** Splits requested names into catalogue scopes (roles expanded) and management scopes, refusing unknown ones. */
export function resolveScopes(ctx: Ctx, requested: readonly string[], kind: KeyKind): { scopes: string[]; roles: string[] } {
  const management = requested.filter((s) => s.startsWith(MANAGEMENT_SCOPE_PREFIX));
  const api = requested.filter((s) => !s.startsWith(MANAGEMENT_SCOPE_PREFIX));
  const { scopes, unknown } = ctx.catalogue.expand(api);
  const badManagement = management.filter((s) => !ctx.catalogue.isManagementScope(s));
  const allUnknown = [...unknown, ...badManagement];
  if (allUnknown.length > 0) {
    throw new KeywardError('UNKNOWN_SCOPE', `Unknown scope(s) or role(s): ${allUnknown.join(', ')}`, { unknown: allUnknown });
  }
  const wrongKind = scopes.filter((s) => !ctx.catalogue.scope(s)?.keyKinds.includes(kind));
  if (wrongKind.length > 0) {
    throw new KeywardError('UNKNOWN_SCOPE', `Scope(s) not available to ${kind} keys: ${wrongKind.join(', ')}`, { unknown: wrongKind });
  }
  return {
    scopes: [...new Set([...scopes, ...management])].sort(),
    roles: api.filter((s) => ctx.catalogue.isRole(s)),
  };
}

export function assertGrantable(p: Principal, scopes: readonly string[]): void {
  const excess = scopes.filter((s) => !p.grantableScopes.has(s));
  if (excess.length > 0) {
    throw new KeywardError('SCOPE_NOT_GRANTABLE', `You cannot grant scope(s) you do not hold: ${excess.join(', ')}`, { excess });
  }
}

/**
 * The one path by which a new key comes to exist (application or customer key): expiry in
 * the future, scopes known, available to the kind and grantable by the creator, the limit
 * kept, and the key.create audit event in the same transaction.
 */
export async function issueKey(
  ctx: Ctx,
  actor: Actor,
  account: Account,
  where: { applicationId: string | null; kind: KeyKind },
  input: CreateKeyInput,
): Promise<{ key: AccessKey; secret: string }> {
  const now = ctx.now();
  if (input.expiresAt != null && input.expiresAt <= now) throw new KeywardError('EXPIRY_IN_PAST');
  const { scopes, roles } = resolveScopes(ctx, input.scopes, where.kind);
  assertGrantable(actor.principal, scopes);
  const { key, secret } = draftKey(ctx, {
    accountId: account.id,
    applicationId: where.applicationId,
    kind: where.kind,
    name: input.name,
    description: input.description ?? '',
    scopes,
    roles,
    expiresAt: input.expiresAt ?? null,
    createdBy: actor.principal.userId,
    ratelimits: input.ratelimits ?? [],
    quota: input.quota ? quotaSpec(input.quota, null, now) : null,
  });
  await ctx.store.transaction(async (tx) => {
    await lockAccount(tx, account.id);
    await insertKeyWithinLimit(tx, account, key, secret, now);
    if (key.quota) await startQuotaCounter(tx, key.id, key.quota, now);
    await audit(ctx, tx, actor, {
      accountId: account.id,
      action: 'key.create',
      targetId: key.id,
      details: {
        kind: where.kind,
        applicationId: where.applicationId,
        scopes,
        expiresAt: key.expiresAt,
        ...(key.ratelimits.length > 0 && { ratelimits: key.ratelimits }),
        ...(key.quota && { quota: key.quota }),
      },
    });
    await emit(ctx, tx, 'key.created', account.id, { key: keyEventData(key, now), actorId: actorIdOf(actor) });
  });
  // Clears a negative cache entry for this hash, so the new key verifies at once.
  ctx.changes.publish({ type: 'key', keyId: key.id, keyHash: hashSecret(secret) });
  return { key, secret };
}
