import { sql } from 'kysely';
import { type Application, applicationStatus, type StoredApplicationStatus } from '../../core/model.js';
import type { ApplicationRow } from '../schema.js';
import type { Db } from '../store.js';
import { keyset, matchesAny, type Page, type Paging, pageOf, type SortKey } from './paging.js';

function toApplication(r: ApplicationRow & { creator_deleted_at: number | null }): Application {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    description: r.description,
    status: applicationStatus(r.status, r.creator_deleted_at !== null),
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    revokedAt: r.revoked_at,
  };
}

/** A new application is stored with a stored status: `disabled` is only ever derived. */
export async function insertApplication(db: Db, a: Application & { status: StoredApplicationStatus }): Promise<void> {
  await db
    .insertInto('applications')
    .values({
      id: a.id,
      account_id: a.accountId,
      name: a.name,
      description: a.description,
      status: a.status,
      created_by: a.createdBy,
      created_at: a.createdAt,
      updated_at: a.updatedAt,
      revoked_at: a.revokedAt,
    })
    .execute();
}

/** Applications with their creator's deletion time, from which `disabled` is derived. */
function withCreator(db: Db) {
  return db
    .selectFrom('applications')
    .innerJoin('users', 'users.id', 'applications.created_by')
    .selectAll('applications')
    .select('users.deleted_at as creator_deleted_at');
}

export async function findApplication(db: Db, accountId: string, id: string): Promise<Application | undefined> {
  const row = await withCreator(db).where('applications.id', '=', id).where('applications.account_id', '=', accountId).executeTakeFirst();
  return row && toApplication(row);
}

export const APPLICATION_SORTS = {
  created: { expr: sql<number>`applications.created_at`, numeric: true },
  name: { expr: sql<string>`lower(applications.name)`, numeric: false },
} as const satisfies Record<string, SortKey>;
export type ApplicationSort = keyof typeof APPLICATION_SORTS;

export interface ApplicationFilter {
  includeRevoked: boolean;
  /** Overrides `includeRevoked`: only applications in this (derived) state. */
  status?: 'active' | 'disabled' | 'revoked' | undefined;
  /** Case-insensitive substring of the name, the description or the id. */
  q?: string | undefined;
}

/** Active and disabled applications (disabled ones stay visible until revoked); `includeRevoked` adds revoked ones. */
export async function listApplications(db: Db, accountId: string, opts: { includeRevoked: boolean }): Promise<Application[]> {
  return (await pageApplications(db, accountId, opts, 'created', { order: 'asc' })).items;
}

export async function pageApplications(
  db: Db,
  accountId: string,
  f: ApplicationFilter,
  sort: ApplicationSort,
  paging: Paging,
): Promise<Page<Application>> {
  let q = withCreator(db).where('applications.account_id', '=', accountId);
  if (f.status === 'revoked') q = q.where('applications.status', '=', 'revoked');
  else if (f.status === 'active') q = q.where('applications.status', '=', 'active').where('users.deleted_at', 'is', null);
  else if (f.status === 'disabled') q = q.where('applications.status', '=', 'active').where('users.deleted_at', 'is not', null);
  else if (!f.includeRevoked) q = q.where('applications.status', '=', 'active');
  if (f.q) q = q.where(matchesAny(['applications.name', 'applications.description', 'applications.id'], f.q));
  const rows = await keyset(q, APPLICATION_SORTS[sort], 'applications.id', paging).execute();
  return pageOf(rows, APPLICATION_SORTS[sort], paging, toApplication);
}

/** Applications counting towards the account's limit: neither revoked nor disabled by a deleted creator. */
export async function countActiveApplications(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('applications')
    .innerJoin('users', 'users.id', 'applications.created_by')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('applications.account_id', '=', accountId)
    .where('applications.status', '=', 'active')
    .where('users.deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateApplication(
  db: Db,
  id: string,
  patch: { name?: string; description?: string; status?: StoredApplicationStatus; revokedAt?: number; updatedAt: number },
): Promise<void> {
  await db
    .updateTable('applications')
    .set({
      updated_at: patch.updatedAt,
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.status !== undefined && { status: patch.status }),
      ...(patch.revokedAt !== undefined && { revoked_at: patch.revokedAt }),
    })
    .where('id', '=', id)
    .execute();
}
