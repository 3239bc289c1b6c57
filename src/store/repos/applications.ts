import type { Application, ApplicationStatus } from '../../core/model.js';
import type { ApplicationRow } from '../schema.js';
import type { Db } from '../store.js';

function toApplication(r: ApplicationRow): Application {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    description: r.description,
    status: r.status as ApplicationStatus,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    revokedAt: r.revoked_at,
  };
}

export async function insertApplication(db: Db, a: Application): Promise<void> {
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

export async function findApplication(db: Db, accountId: string, id: string): Promise<Application | undefined> {
  const row = await db.selectFrom('applications').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
  return row && toApplication(row);
}

export async function listApplications(db: Db, accountId: string, opts: { includeRevoked: boolean }): Promise<Application[]> {
  let q = db.selectFrom('applications').selectAll().where('account_id', '=', accountId);
  if (!opts.includeRevoked) q = q.where('status', '=', 'active');
  const rows = await q.orderBy('created_at').orderBy('id').execute();
  return rows.map(toApplication);
}

export async function countActiveApplications(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('applications')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateApplication(
  db: Db,
  id: string,
  patch: { name?: string; description?: string; status?: ApplicationStatus; revokedAt?: number; updatedAt: number },
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
