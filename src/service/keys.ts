import type { KeyKind } from '../core/catalogue.js';
import { KeywardError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { displayStart, generateKey, hashSecret } from '../core/key-format.js';
import { type AccessKey, type Application, keyStatus } from '../core/model.js';
import { canOnKeysOf, type KeyAction, MANAGEMENT_SCOPE_PREFIX, mayActOnSomeKeys, type Principal } from '../core/permissions.js';
import { lockAccount } from '../store/repos/accounts.js';
import { countLiveKeys, findKey, insertKey, listKeys as listKeyRows, updateKey as updateKeyRow } from '../store/repos/keys.js';
import { loadApplication } from './applications.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { assertAccountAccess, forbid } from './guards.js';

export interface CreateKeyInput {
  name: string;
  description?: string | undefined;
  /** Scope and role names; roles are expanded and the result is fixed for the key's life. */
  scopes: string[];
  expiresAt?: number | null | undefined;
}

/** Splits requested names into catalogue scopes (roles expanded) and management scopes, refusing unknown ones. */
function resolveScopes(ctx: Ctx, requested: readonly string[], kind: KeyKind): { scopes: string[]; roles: string[] } {
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

function assertGrantable(p: Principal, scopes: readonly string[]): void {
  const excess = scopes.filter((s) => !p.grantableScopes.has(s));
  if (excess.length > 0) {
    throw new KeywardError('SCOPE_NOT_GRANTABLE', `You cannot grant scope(s) you do not hold: ${excess.join(', ')}`, { excess });
  }
}

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
  const now = ctx.now();
  if (input.expiresAt != null && input.expiresAt <= now) throw new KeywardError('EXPIRY_IN_PAST');
  const { scopes, roles } = resolveScopes(ctx, input.scopes, 'application');
  assertGrantable(p, scopes);

  const secret = generateKey();
  const keyHash = hashSecret(secret);
  const key: AccessKey = {
    id: newId('key'),
    accountId,
    applicationId,
    kind: 'application',
    name: input.name,
    description: input.description ?? '',
    start: displayStart(secret),
    scopes,
    roles,
    status: 'active',
    expiresAt: input.expiresAt ?? null,
    createdBy: p.userId,
    createdAt: now,
    updatedAt: now,
    revokedAt: null,
    lastUsedAt: null,
    usageCount: 0,
  };
  await ctx.store.transaction(async (tx) => {
    await lockAccount(tx, accountId);
    const live = await countLiveKeys(tx, applicationId, now);
    if (live >= account.maxKeysPerApplication) {
      throw new KeywardError(
        'KEY_LIMIT_REACHED',
        `The application has ${live} active access keys, its maximum is ${account.maxKeysPerApplication}. Revoke one first.`,
        { limit: account.maxKeysPerApplication },
      );
    }
    await insertKey(tx, key, keyHash);
    await audit(ctx, tx, actor, {
      accountId,
      action: 'key.create',
      targetType: 'key',
      targetId: key.id,
      details: { applicationId, scopes, expiresAt: key.expiresAt },
    });
  });
  // Clears a negative cache entry for this hash, so the new key verifies at once.
  ctx.changes.publish({ type: 'key', keyId: key.id, keyHash });
  return { key, secret };
}

/** Loads a key and checks `action` on it; another account's key is indistinguishable from none. */
async function loadKeyFor(ctx: Ctx, p: Principal, accountId: string, keyId: string, action: KeyAction): Promise<AccessKey> {
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
    await audit(ctx, tx, actor, { accountId, action: 'key.update', targetType: 'key', targetId: keyId, details: patch });
  });
  return loadKeyFor(ctx, actor.principal, accountId, keyId, 'view');
}

export async function revokeKey(ctx: Ctx, actor: Actor, accountId: string, keyId: string): Promise<AccessKey> {
  const key = await loadKeyFor(ctx, actor.principal, accountId, keyId, 'revoke');
  if (key.status === 'revoked') throw new KeywardError('ALREADY_REVOKED');
  const now = ctx.now();
  await ctx.store.transaction(async (tx) => {
    await updateKeyRow(tx, keyId, { status: 'revoked', revokedAt: now, updatedAt: now });
    await audit(ctx, tx, actor, { accountId, action: 'key.revoke', targetType: 'key', targetId: keyId });
  });
  ctx.changes.publish({ type: 'key', keyId });
  return { ...key, status: 'revoked', revokedAt: now, updatedAt: now };
}

/** The status a caller sees, with expiry applied. */
export function presentStatus(ctx: Ctx, key: AccessKey) {
  return keyStatus(key, ctx.now());
}
