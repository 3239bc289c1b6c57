import { assertKeyRight, assertRight } from '../core/access.js';
import type { KeyKind } from '../core/catalogue.js';
import { KeywardError } from '../core/errors.js';
import { type AccessKey, type Account, type Application, keyStatus } from '../core/model.js';
import { type KeyAction, mayActOnSomeKeys, type Principal } from '../core/permissions.js';
import { findKey, listKeys as listKeyRows, updateKey as updateKeyRow } from '../store/repos/keys.js';
import { loadApplication } from './applications.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { actorIdOf, emit, keyEventData } from './events.js';
import { authorizeOn } from './guards.js';
import { type CreateKeyInput, issueKey } from './key-issue.js';

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
  return (await keyFor(ctx, actor.principal, account, keyId, 'view')).key;
}

export async function listApplicationKeys(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  applicationId: string,
  opts: { includeRevoked: boolean },
): Promise<AccessKey[]> {
  await authorizeOn(ctx, actor, accountId, {});
  const app = await loadApplication(ctx, accountId, applicationId);
  assertKeyRight(actor.principal, 'view', app.createdBy);
  return listKeyRows(ctx.store.db, accountId, { applicationId, includeRevoked: opts.includeRevoked });
}

/** All keys of the account the caller may view (the Administration › API Keys view). */
export async function listAccountKeys(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  opts: { includeRevoked: boolean; kind?: KeyKind | undefined },
): Promise<AccessKey[]> {
  await authorizeOn(ctx, actor, accountId, { right: 'keys.view' });
  const p = actor.principal;
  const reach = p.isOperator ? 'any' : mayActOnSomeKeys(p, 'view');
  const keys = await listKeyRows(ctx.store.db, accountId, {
    includeRevoked: opts.includeRevoked,
    ...(opts.kind !== undefined && { kind: opts.kind }),
    ...(reach === 'mine' && { applicationCreatedBy: p.userId }),
  });
  // Customer keys are admin business; `mine` filtering already drops them via the application join.
  return p.isOperator || p.isAdmin ? keys : keys.filter((k) => k.kind === 'application');
}

/** Editing answers with the edited key, so it needs the right to view it too: checked before the change, not after. */
export async function updateKey(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  keyId: string,
  patch: { name?: string | undefined; description?: string | undefined },
): Promise<AccessKey> {
  const account = await authorizeOn(ctx, actor, accountId, {});
  const { key, app } = await keyFor(ctx, actor.principal, account, keyId, 'edit');
  if (key.status === 'revoked') throw new KeywardError('ALREADY_REVOKED', 'A revoked key cannot be edited.');
  if (app) assertKeyRight(actor.principal, 'view', app.createdBy);
  await ctx.store.transaction(async (tx) => {
    await updateKeyRow(tx, keyId, { ...patch, updatedAt: ctx.now() });
    await audit(ctx, tx, actor, { accountId, action: 'key.update', targetId: keyId, details: patch });
  });
  const updated = await findKey(ctx.store.db, accountId, keyId);
  if (!updated) throw new KeywardError('KEY_NOT_FOUND');
  return updated;
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
  return revoked;
}

/** The status a caller sees, with expiry applied. */
export function presentStatus(ctx: Ctx, key: AccessKey) {
  return keyStatus(key, ctx.now());
}
