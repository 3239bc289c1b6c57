import { sql } from 'kysely';
import type { User } from '../../core/model.js';
import type { Permission } from '../../core/permissions.js';
import type { UserRow } from '../schema.js';
import type { Db } from '../store.js';
import { parseList, toList } from './json.js';
import { keyset, matchesAny, type Page, type Paging, pageOf, type SortKey } from './paging.js';

function toUser(r: UserRow): User {
  return {
    id: r.id,
    accountId: r.account_id,
    email: r.email,
    name: r.name,
    isOperator: r.is_operator === 1,
    isAdmin: r.is_admin === 1,
    permissions: parseList(r.permissions) as Permission[],
    apiScopes: parseList(r.api_scopes),
    createdAt: r.created_at,
    deletedAt: r.deleted_at,
  };
}

export async function insertUser(db: Db, u: User, passwordHash: string): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id: u.id,
      account_id: u.accountId,
      email: u.email,
      name: u.name,
      password_hash: passwordHash,
      is_operator: u.isOperator ? 1 : 0,
      is_admin: u.isAdmin ? 1 : 0,
      permissions: toList(u.permissions),
      api_scopes: toList(u.apiScopes),
      created_at: u.createdAt,
      deleted_at: null,
    })
    .execute();
}

export async function findUser(db: Db, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

export async function findLiveUserByEmail(db: Db, email: string): Promise<{ user: User; passwordHash: string } | undefined> {
  const row = await db.selectFrom('users').selectAll().where('email', '=', email).where('deleted_at', 'is', null).executeTakeFirst();
  return row && { user: toUser(row), passwordHash: row.password_hash };
}

/** Whether a live (not deleted) user has this email: emails are unique among live users. */
export async function liveEmailTaken(db: Db, email: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('email', '=', email).where('deleted_at', 'is', null).executeTakeFirst();
  return row !== undefined;
}

/** The email of the live operator, if one exists yet. */
export async function findOperatorEmail(db: Db): Promise<string | undefined> {
  const row = await db.selectFrom('users').select('email').where('is_operator', '=', 1).where('deleted_at', 'is', null).executeTakeFirst();
  return row?.email;
}

export const USER_SORTS = {
  created: { expr: sql<number>`users.created_at`, numeric: true },
  name: { expr: sql<string>`lower(users.name)`, numeric: false },
  email: { expr: sql<string>`lower(users.email)`, numeric: false },
} as const satisfies Record<string, SortKey>;
export type UserSort = keyof typeof USER_SORTS;

export interface UserFilter {
  role?: 'admin' | 'member' | undefined;
  /** Case-insensitive substring of the name, the email or the id. */
  q?: string | undefined;
}

export async function listUsers(db: Db, accountId: string): Promise<User[]> {
  return (await pageUsers(db, accountId, {}, 'created', { order: 'asc' })).items;
}

/** Live users of the account matching `f`, one page. */
export async function pageUsers(db: Db, accountId: string, f: UserFilter, sort: UserSort, paging: Paging): Promise<Page<User>> {
  let q = db.selectFrom('users').selectAll('users').where('users.account_id', '=', accountId).where('users.deleted_at', 'is', null);
  if (f.role !== undefined) q = q.where('users.is_admin', '=', f.role === 'admin' ? 1 : 0);
  if (f.q) q = q.where(matchesAny(['users.name', 'users.email', 'users.id'], f.q));
  const rows = await keyset(q, USER_SORTS[sort], 'users.id', paging).execute();
  return pageOf(rows, USER_SORTS[sort], paging, toUser);
}

export async function countLiveAdmins(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('is_admin', '=', 1)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateUser(
  db: Db,
  id: string,
  patch: Partial<Pick<User, 'name' | 'isAdmin' | 'permissions' | 'apiScopes'>> & { passwordHash?: string },
): Promise<void> {
  const set = {
    ...(patch.name !== undefined && { name: patch.name }),
    ...(patch.isAdmin !== undefined && { is_admin: patch.isAdmin ? (1 as const) : (0 as const) }),
    ...(patch.permissions !== undefined && { permissions: toList(patch.permissions) }),
    ...(patch.apiScopes !== undefined && { api_scopes: toList(patch.apiScopes) }),
    ...(patch.passwordHash !== undefined && { password_hash: patch.passwordHash }),
  };
  // Nothing to change is a no-op: an UPDATE with an empty SET is a syntax error.
  if (Object.keys(set).length === 0) return;
  await db.updateTable('users').set(set).where('id', '=', id).execute();
}

export async function markUserDeleted(db: Db, id: string, at: number): Promise<void> {
  await db.updateTable('users').set({ deleted_at: at }).where('id', '=', id).execute();
}
