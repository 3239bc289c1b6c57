import { KeywardError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { User } from '../core/model.js';
import { hashPassword, verifyPassword } from '../core/password.js';
import { isPermission, type Permission } from '../core/permissions.js';
import type { Page, Paging } from '../store/repos/paging.js';
import { deleteUserSessions } from '../store/repos/sessions.js';
import {
  countLiveAdmins,
  findLiveUserByEmail,
  findUser,
  insertUser,
  liveEmailTaken,
  markUserDeleted,
  pageUsers as pageUserRows,
  type UserFilter,
  type UserSort,
  updateUser as updateUserRow,
} from '../store/repos/users.js';
import type { Db } from '../store/store.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { actorIdOf, emit } from './events.js';
import { authorizeOn } from './guards.js';

export interface UserInput {
  email: string;
  name: string;
  password: string;
  isAdmin?: boolean | undefined;
  permissions?: string[] | undefined;
  apiScopes?: string[] | undefined;
}

function checkPermissions(values: readonly string[]): Permission[] {
  const unknown = values.filter((v) => !isPermission(v));
  if (unknown.length > 0) throw new KeywardError('UNKNOWN_PERMISSION', `Unknown permission(s): ${unknown.join(', ')}`, { unknown });
  return [...new Set(values)] as Permission[];
}

function checkScopes(ctx: Ctx, values: readonly string[]): string[] {
  const { unknown } = ctx.catalogue.expand(values);
  if (unknown.length > 0) throw new KeywardError('UNKNOWN_SCOPE', `Unknown scope(s) or role(s): ${unknown.join(', ')}`, { unknown });
  return [...new Set(values)];
}

export async function createUser(ctx: Ctx, actor: Actor, accountId: string, input: UserInput): Promise<User> {
  await authorizeOn(ctx, actor, accountId, { session: true, right: 'admin' });
  const user: User = {
    id: newId('user'),
    accountId,
    email: input.email.toLowerCase(),
    name: input.name,
    isOperator: false,
    isAdmin: input.isAdmin ?? false,
    permissions: checkPermissions(input.permissions ?? []),
    apiScopes: checkScopes(ctx, input.apiScopes ?? []),
    createdAt: ctx.now(),
    deletedAt: null,
  };
  const passwordHash = await hashPassword(input.password);
  try {
    await ctx.store.transaction(async (tx) => {
      if (await liveEmailTaken(tx, user.email)) throw new KeywardError('EMAIL_TAKEN');
      await insertUser(tx, user, passwordHash);
      await audit(ctx, tx, actor, {
        accountId,
        action: 'user.create',
        targetId: user.id,
        details: { isAdmin: user.isAdmin, permissions: user.permissions, apiScopes: user.apiScopes },
      });
    });
  } catch (e) {
    if (ctx.store.isUniqueViolation(e)) throw new KeywardError('EMAIL_TAKEN');
    throw e;
  }
  return user;
}

/** The account's people and their emails: admins, and members holding users.view, through a session. */
export async function listUsers(ctx: Ctx, actor: Actor, accountId: string): Promise<User[]> {
  return (await pageUsers(ctx, actor, accountId, {})).items;
}

/** One page of the account's live users, searched, filtered and sorted; as `listUsers` for who may. */
export async function pageUsers(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  opts: UserFilter & { sort?: UserSort; paging?: Paging },
): Promise<Page<User>> {
  await authorizeOn(ctx, actor, accountId, { session: true, right: 'users.view' });
  const { sort, paging, ...filter } = opts;
  return pageUserRows(ctx.store.db, accountId, filter, sort ?? 'created', paging ?? { order: 'asc' });
}

/** One user: as `listUsers`, except that anyone may read themselves. */
export async function getUser(ctx: Ctx, actor: Actor, accountId: string, userId: string): Promise<User> {
  const self = actor.principal.userId === userId;
  await authorizeOn(ctx, actor, accountId, self ? { session: true } : { session: true, right: 'users.view' });
  return liveUserOf(ctx.store.db, accountId, userId);
}

async function liveUserOf(db: Db, accountId: string, userId: string): Promise<User> {
  const user = await findUser(db, userId);
  if (!user || user.accountId !== accountId || user.deletedAt !== null) throw new KeywardError('USER_NOT_FOUND');
  return user;
}

/**
 * Changing one's own password proves the current one, through the sign-in throttle, so a
 * stolen session cannot silently lock its owner out or probe the password.
 */
async function checkCurrentPassword(ctx: Ctx, actor: Actor, user: User, currentPassword: string | undefined): Promise<void> {
  if (currentPassword === undefined) throw new KeywardError('CURRENT_PASSWORD_REQUIRED');
  const ok = await ctx.loginThrottle.checkPassword(user.email, actor.ip ?? 'local', ctx.now, async () => {
    const found = await findLiveUserByEmail(ctx.store.db, user.email);
    return found !== undefined && (await verifyPassword(currentPassword, found.passwordHash));
  });
  if (!ok) throw new KeywardError('CURRENT_PASSWORD_WRONG');
}

export async function updateUser(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  userId: string,
  patch: {
    name?: string | undefined;
    isAdmin?: boolean | undefined;
    permissions?: string[] | undefined;
    apiScopes?: string[] | undefined;
    password?: string | undefined;
    /** Needed, and checked, only when users change their own password. */
    currentPassword?: string | undefined;
  },
): Promise<User> {
  const isSelf = actor.principal.userId === userId;
  // Users edit their own name and password; rights, and other people, are for admins.
  const self = isSelf && patch.isAdmin === undefined && patch.permissions === undefined && patch.apiScopes === undefined;
  await authorizeOn(ctx, actor, accountId, self ? { session: true } : { session: true, right: 'admin' });
  const existing = await liveUserOf(ctx.store.db, accountId, userId);
  if (patch.password !== undefined && isSelf) await checkCurrentPassword(ctx, actor, existing, patch.currentPassword);
  const clean = {
    ...(patch.name !== undefined && { name: patch.name }),
    ...(patch.isAdmin !== undefined && { isAdmin: patch.isAdmin }),
    ...(patch.permissions !== undefined && { permissions: checkPermissions(patch.permissions) }),
    ...(patch.apiScopes !== undefined && { apiScopes: checkScopes(ctx, patch.apiScopes) }),
    ...(patch.password !== undefined && { passwordHash: await hashPassword(patch.password) }),
  };
  await ctx.store.transaction(async (tx) => {
    if (existing.isAdmin && patch.isAdmin === false && (await countLiveAdmins(tx, accountId)) <= 1) {
      throw new KeywardError('LAST_ADMIN');
    }
    await updateUserRow(tx, userId, clean);
    // A new password ends every other session: whoever knew the old one is signed out. Users
    // changing their own keep the session they did it from; an admin's change ends them all.
    const sessionsEnded =
      patch.password !== undefined ? await deleteUserSessions(tx, userId, isSelf ? actor.principal.viaSessionId : null) : undefined;
    const { passwordHash: _omit, ...logged } = clean;
    await audit(ctx, tx, actor, {
      accountId,
      action: 'user.update',
      targetId: userId,
      details: { ...logged, ...(patch.password !== undefined && { passwordChanged: true, sessionsEnded }) },
    });
  });
  // Rights changed: keys acting for this user must be re-evaluated.
  ctx.changes.publish({ type: 'user', userId });
  return liveUserOf(ctx.store.db, accountId, userId);
}

/**
 * Soft delete: the row stays so that the applications and keys this user created keep
 * failing verification as DISABLED (Pelion: they "stop working"), and the audit trail
 * keeps naming them.
 */
export async function deleteUser(ctx: Ctx, actor: Actor, accountId: string, userId: string): Promise<void> {
  await authorizeOn(ctx, actor, accountId, { session: true, right: 'admin' });
  if (actor.principal.userId === userId) throw new KeywardError('CANNOT_DELETE_SELF');
  const user = await liveUserOf(ctx.store.db, accountId, userId);
  await ctx.store.transaction(async (tx) => {
    if (user.isAdmin && (await countLiveAdmins(tx, accountId)) <= 1) throw new KeywardError('LAST_ADMIN');
    await markUserDeleted(tx, userId, ctx.now());
    await deleteUserSessions(tx, userId);
    await audit(ctx, tx, actor, { accountId, action: 'user.delete', targetId: userId, details: { email: user.email } });
    // No email in the event: endpoints may sit outside the account's trust; the audit log keeps it.
    await emit(ctx, tx, 'user.deleted', accountId, { user: { id: userId, accountId }, actorId: actorIdOf(actor) });
  });
  ctx.changes.publish({ type: 'user', userId });
}
