import type { KeyKind } from '../core/catalogue.js';
import { KeywardError } from '../core/errors.js';
import { type AccessKey, type Application, keyStatus } from '../core/model.js';
import { canOnKeysOf, type KeyAction, mayActOnSomeKeys, type Principal } from '../core/permissions.js';
import { findKey, listKeys as listKeyRows, updateKey as updateKeyRow } from '../store/repos/keys.js';
import { loadApplication } from './applications.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { assertAccountAccess, forbid } from './guards.js';
import { type CreateKeyInput, issueKey } from './key-issue.js';

export type { CreateKeyInput } from './key-issue.js';

function assertKeyPermission(p: Principal, action: KeyAction, app: Application): void {
  if (!canOnKeysOf(p, action, app.createdBy)) {
    forbid(`Missing permission keys.${action}.any (or keys.${action}.mine on your own applications).`);
  }
}

export async function createApplicationKey(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  applicationId: string,
  input: CreateKeyInput,
): Promise<{ key: AccessKey; secret: string }> {
  const p = actor.principal;
  const account = await assertAccountAccess(ctx, p, accountId);
  if (p.isOperator) forbid('Access keys belong to the user who creates them: sign in as an account user.');
  const app = await loadApplication(ctx, accountId, applicationId);
  assertKeyPermission(p, 'create', app);
  if (app.status === 'revoked') throw new KeywardError('APPLICATION_REVOKED', 'Keys cannot be created in a revoked application.');
  if (app.status === 'disabled') {
    throw new KeywardError('APPLICATION_DISABLED', 'Keys cannot be created in this application: the user who created it was deleted.');
  }
  return issueKey(ctx, actor, account, { applicationId, kind: 'application' }, input);
}

/** Loads a key and checks `action` on it; another account's key is indistinguishable from none. */
export async function loadKeyFor(ctx: Ctx, p: Principal, accountId: string, keyId: string, action: KeyAction): Promise<AccessKey> {
  await assertAccountAccess(ctx, p, accountId);
  const key = await findKey(ctx.store.db, accountId, keyId);
  if (!key) throw new KeywardError('KEY_NOT_FOUND');
  if (key.applicationId !== null) {
    const app = await loadApplication(ctx, accountId, key.applicationId);
    if (!p.isOperator) assertKeyPermission(p, action, app);
  } else if (!p.isOperator && !p.isAdmin) {
    forbid('Customer keys are managed by account admins.');
  }
  return key;
}

export async function getKey(ctx: Ctx, actor: Actor, accountId: string, keyId: string): Promise<AccessKey> {
  return loadKeyFor(ctx, actor.principal, accountId, keyId, 'view');
}

export async function listApplicationKeys(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  applicationId: string,
  opts: { includeRevoked: boolean },
): Promise<AccessKey[]> {
  const p = actor.principal;
  await assertAccountAccess(ctx, p, accountId);
  const app = await loadApplication(ctx, accountId, applicationId);
  if (!p.isOperator) assertKeyPermission(p, 'view', app);
  return listKeyRows(ctx.store.db, accountId, { applicationId, includeRevoked: opts.includeRevoked });
}

/** All keys of the account the caller may view (the Administration › API Keys view). */
export async function listAccountKeys(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  opts: { includeRevoked: boolean; kind?: KeyKind | undefined },
): Promise<AccessKey[]> {
  const p = actor.principal;
  await assertAccountAccess(ctx, p, accountId);
  const reach = p.isOperator ? 'any' : mayActOnSomeKeys(p, 'view');
  if (reach === 'none') forbid('Missing permission keys.view.any or keys.view.mine.');
  const keys = await listKeyRows(ctx.store.db, accountId, {
    includeRevoked: opts.includeRevoked,
    ...(opts.kind !== undefined && { kind: opts.kind }),
    ...(reach === 'mine' && { applicationCreatedBy: p.userId }),
  });
  // Customer keys are admin business; `mine` filtering already drops them via the application join.
  return p.isOperator || p.isAdmin ? keys : keys.filter((k) => k.kind === 'application');
}

export async function updateKey(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  keyId: string,
  patch: { name?: string | undefined; description?: string | undefined },
): Promise<AccessKey> {
  const key = await loadKeyFor(ctx, actor.principal, accountId, keyId, 'edit');
  if (key.status === 'revoked') throw new KeywardError('ALREADY_REVOKED', 'A revoked key cannot be edited.');
  await ctx.store.transaction(async (tx) => {
    await updateKeyRow(tx, keyId, { ...patch, updatedAt: ctx.now() });
    await audit(ctx, tx, actor, { accountId, action: 'key.update', targetId: keyId, details: patch });
  });
  return loadKeyFor(ctx, actor.principal, accountId, keyId, 'view');
}

export async function revokeKey(ctx: Ctx, actor: Actor, accountId: string, keyId: string): Promise<AccessKey> {
  const key = await loadKeyFor(ctx, actor.principal, accountId, keyId, 'revoke');
  if (key.status === 'revoked') throw new KeywardError('ALREADY_REVOKED');
  const now = ctx.now();
  await ctx.store.transaction(async (tx) => {
    await updateKeyRow(tx, keyId, { status: 'revoked', revokedAt: now, updatedAt: now });
    await audit(ctx, tx, actor, { accountId, action: 'key.revoke', targetId: keyId });
  });
  ctx.changes.publish({ type: 'key', keyId });
  return { ...key, status: 'revoked', revokedAt: now, updatedAt: now };
}

/** The status a caller sees, with expiry applied. */
export function presentStatus(ctx: Ctx, key: AccessKey) {
  return keyStatus(key, ctx.now());
}
