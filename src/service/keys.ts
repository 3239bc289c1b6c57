import { assertKeyRight, assertRight } from '../core/access.js';
import type { KeyKind } from '../core/catalogue.js';
import { KeywardError } from '../core/errors.js';
import { type AccessKey, type Account, type Application, keyStatus } from '../core/model.js';
import { type KeyAction, mayActOnSomeKeys, type Principal } from '../core/permissions.js';
import { leakTimes } from '../store/repos/audit.js';
import { findKey, type KeySort, pageKeys, updateKey as updateKeyRow } from '../store/repos/keys.js';
import type { Page, Paging } from '../store/repos/paging.js';
import { deleteQuotaCounter } from '../store/repos/quotas.js';
import { loadApplication } from './applications.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { actorIdOf, emit, keyEventData } from './events.js';
import { authorizeOn } from './guards.js';
import { type CreateKeyInput, issueKey } from './key-issue.js';
import { currentRemaining, type LimitsPatch, quotaSpec, startQuotaCounter, storedCounters } from './limits.js';

export type { CreateKeyInput } from './key-issue.js';

export async function createApplicationKey(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  applicationId: string,
  input: CreateKeyInput,
): Promise<{ key: AccessKey; secret: string }> {
  const account = await authorizeOn(ctx, actor, accountId, { creates: 'key' });
  const app = await loadApplication(ctx, accountId, applicationId);
  assertKeyRight(actor.principal, 'create', app.createdBy);
  if (app.status === 'revoked') throw new KeywardError('APPLICATION_REVOKED', 'Keys cannot be created in a revoked application.');
  if (app.status === 'disabled') {
    throw new KeywardError('APPLICATION_DISABLED', 'Keys cannot be created in this application: the user who created it was deleted.');
  }
  return issueKey(ctx, actor, account, { applicationId, kind: 'application' }, input);
}

/**
 * A key of an account the caller was let into (`authorizeOn`), with its application (null for
 * a customer key), when the caller may do `action` on it: key rights depend on the
 * application, customer keys are admin business. Another account's key is indistinguishable
 * from none.
 */
export async function keyFor(
  ctx: Ctx,
  p: Principal,
  account: Account,
  keyId: string,
  action: KeyAction,
): Promise<{ key: AccessKey; app: Application | null }> {
  const key = await findKey(ctx.store.db, account.id, keyId);
  if (!key) throw new KeywardError('KEY_NOT_FOUND');
  if (key.applicationId === null) {
    assertRight(p, 'customer_keys.manage');
    return { key, app: null };
  }
  const app = await loadApplication(ctx, account.id, key.applicationId);
  assertKeyRight(p, action, app.createdBy);
  return { key, app };
}

export async function getKey(ctx: Ctx, actor: Actor, accountId: string, keyId: string): Promise<AccessKey> {
  const account = await authorizeOn(ctx, actor, accountId, {});
  return (await withRemaining(ctx, [(await keyFor(ctx, actor.principal, account, keyId, 'view')).key]))[0] as AccessKey;
}

/** Search, filters, sort and page of a key listing (see src/store/repos/paging.ts). */
export interface KeyListing {
  includeRevoked: boolean;
  status?: 'active' | 'expired' | 'revoked' | undefined;
  kind?: KeyKind | undefined;
  applicationId?: string | undefined;
  q?: string | undefined;
  sort?: KeySort;
  paging?: Paging;
}

const ALL: Paging = { order: 'asc' };

export async function listApplicationKeys(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  applicationId: string,
  opts: { includeRevoked: boolean },
): Promise<AccessKey[]> {
  return (await pageApplicationKeys(ctx, actor, accountId, applicationId, opts)).items;
}

export async function pageApplicationKeys(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  applicationId: string,
  opts: KeyListing,
): Promise<Page<AccessKey>> {
  await authorizeOn(ctx, actor, accountId, {});
  const app = await loadApplication(ctx, accountId, applicationId);
  assertKeyRight(actor.principal, 'view', app.createdBy);
  const page = await pageKeys(
    ctx.store.db,
    accountId,
    { applicationId, includeRevoked: opts.includeRevoked, status: opts.status, q: opts.q, now: ctx.now() },
    opts.sort ?? 'created',
    opts.paging ?? ALL,
  );
  return { items: await withRemaining(ctx, page.items), next: page.next };
}

/** All keys of the account the caller may view (the Administration › API Keys view). */
export async function listAccountKeys(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  opts: { includeRevoked: boolean; kind?: KeyKind | undefined },
): Promise<AccessKey[]> {
  return (await pageAccountKeys(ctx, actor, accountId, opts)).items;
}

/** One page of the keys of the account the caller may view, searched, filtered and sorted. */
export async function pageAccountKeys(ctx: Ctx, actor: Actor, accountId: string, opts: KeyListing): Promise<Page<AccessKey>> {
  await authorizeOn(ctx, actor, accountId, { right: 'keys.view' });
  const p = actor.principal;
  const reach = p.isOperator ? 'any' : mayActOnSomeKeys(p, 'view');
  // Customer keys are admin business: everyone else sees application keys only, filtered in
  // the query so that pages stay full and cursors stay exact.
  const customerKeysVisible = p.isOperator || p.isAdmin;
  if (!customerKeysVisible && opts.kind === 'customer') return { items: [], next: null };
  const kind = customerKeysVisible ? opts.kind : 'application';
  const page = await pageKeys(
    ctx.store.db,
    accountId,
    {
      includeRevoked: opts.includeRevoked,
      status: opts.status,
      q: opts.q,
      now: ctx.now(),
      ...(kind !== undefined && { kind }),
      ...(opts.applicationId !== undefined && { applicationId: opts.applicationId }),
      ...(reach === 'mine' && { applicationCreatedBy: p.userId }),
    },
    opts.sort ?? 'created',
    opts.paging ?? ALL,
  );
  return { items: await withRemaining(ctx, page.items), next: page.next };
}

/** Editing answers with the edited key, so it needs the right to view it too: checked before the change, not after. */
export async function updateKey(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  keyId: string,
  patch: { name?: string | undefined; description?: string | undefined } & LimitsPatch,
): Promise<AccessKey> {
  const account = await authorizeOn(ctx, actor, accountId, {});
  const { key, app } = await keyFor(ctx, actor.principal, account, keyId, 'edit');
  if (key.status === 'revoked') throw new KeywardError('ALREADY_REVOKED', 'A revoked key cannot be edited.');
  if (app) assertKeyRight(actor.principal, 'view', app.createdBy);
  const { ratelimits, quota, ...names } = patch;
  const now = ctx.now();
  const newQuota = quota === undefined ? undefined : quota === null ? null : quotaSpec(quota, key.quota, now);
  const limitsChange = ratelimits !== undefined || newQuota !== undefined;
  await ctx.store.transaction(async (tx) => {
    await updateKeyRow(tx, keyId, {
      ...names,
      ...(ratelimits !== undefined && { ratelimits }),
      ...(newQuota !== undefined && { quota: newQuota }),
      updatedAt: now,
    });
    if (newQuota) await startQuotaCounter(tx, keyId, newQuota, now);
    if (newQuota === null) await deleteQuotaCounter(tx, keyId);
    if (names.name !== undefined || names.description !== undefined || !limitsChange) {
      await audit(ctx, tx, actor, { accountId, action: 'key.update', targetId: keyId, details: names });
    }
    if (limitsChange) {
      await audit(ctx, tx, actor, {
        accountId,
        action: 'key.set_limits',
        targetId: keyId,
        details: {
          ...(ratelimits !== undefined && { ratelimits, previousRatelimits: key.ratelimits }),
          ...(newQuota !== undefined && { quota: newQuota, previousQuota: key.quota }),
        },
      });
    }
  });
  // Verification caches hold the key's limits: drop them on every node.
  if (limitsChange) ctx.changes.publish({ type: 'key', keyId });
  const updated = await findKey(ctx.store.db, accountId, keyId);
  if (!updated) throw new KeywardError('KEY_NOT_FOUND');
  return (await withRemaining(ctx, [updated]))[0] as AccessKey;
}

/** Keys with the credits left on their quota, as last written. */
/** What a read adds to stored keys: the credits left of quota keys, and when each key was reported leaked. */
export async function withRemaining(ctx: Ctx, keys: AccessKey[]): Promise<AccessKey[]> {
  if (keys.length === 0) return keys;
  const accountId = (keys[0] as AccessKey).accountId;
  const leaked = await leakTimes(
    ctx.store.db,
    accountId,
    keys.map((k) => k.id),
  );
  const owners = keys.filter((k) => k.quota !== null).map((k) => k.id);
  const remaining = owners.length === 0 ? new Map() : await storedCounters(ctx, owners);
  const now = ctx.now();
  return keys.map((k) => ({
    ...k,
    leakedAt: leaked.get(k.id) ?? null,
    ...(k.quota !== null && { quotaRemaining: currentRemaining(k.quota, remaining.get(k.id), now) }),
  }));
}

export async function revokeKey(ctx: Ctx, actor: Actor, accountId: string, keyId: string): Promise<AccessKey> {
  const account = await authorizeOn(ctx, actor, accountId, {});
  const { key } = await keyFor(ctx, actor.principal, account, keyId, 'revoke');
  if (key.status === 'revoked') throw new KeywardError('ALREADY_REVOKED');
  const now = ctx.now();
  const revoked: AccessKey = { ...key, status: 'revoked', revokedAt: now, updatedAt: now };
  await ctx.store.transaction(async (tx) => {
    await updateKeyRow(tx, keyId, { status: 'revoked', revokedAt: now, updatedAt: now });
    await audit(ctx, tx, actor, { accountId, action: 'key.revoke', targetId: keyId });
    await emit(ctx, tx, 'key.revoked', accountId, { key: keyEventData(revoked, now), actorId: actorIdOf(actor), reason: 'revoked' });
  });
  ctx.changes.publish({ type: 'key', keyId });
  return (await withRemaining(ctx, [revoked]))[0] as AccessKey;
}

/** The status a caller sees, with expiry applied. */
export function presentStatus(ctx: Ctx, key: AccessKey) {
  return keyStatus(key, ctx.now());
}
