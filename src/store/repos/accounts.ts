import type { Account } from '../../core/model.js';
import type { AccountRow } from '../schema.js';
import type { Db } from '../store.js';
import { parseQuota, parseRateLimits, toJson } from './json.js';

function toAccount(r: AccountRow): Account {
  return {
    id: r.id,
    customerId: r.customer_id,
    name: r.name,
    maxApplications: r.max_applications,
    maxKeysPerApplication: r.max_keys_per_application,
    createdAt: r.created_at,
    ratelimits: parseRateLimits(r.ratelimits),
    quota: parseQuota(r.quota),
    plan: r.plan,
  };
}

export async function insertAccount(db: Db, a: Account): Promise<void> {
  await db
    .insertInto('accounts')
    .values({
      id: a.id,
      customer_id: a.customerId,
      name: a.name,
      max_applications: a.maxApplications,
      max_keys_per_application: a.maxKeysPerApplication,
      created_at: a.createdAt,
      ratelimits: toJson(a.ratelimits),
      quota: a.quota === null ? null : toJson(a.quota),
      plan: a.plan,
    })
    .execute();
}

export async function findAccount(db: Db, id: string): Promise<Account | undefined> {
  const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toAccount(row);
}

/** Whether an account already uses this public customer ID. */
export async function customerIdTaken(db: Db, customerId: string): Promise<boolean> {
  const row = await db.selectFrom('accounts').select('id').where('customer_id', '=', customerId).executeTakeFirst();
  return row !== undefined;
}

export async function listAccounts(db: Db): Promise<Account[]> {
  const rows = await db.selectFrom('accounts').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toAccount);
}

export async function updateAccount(
  db: Db,
  id: string,
  patch: Partial<Pick<Account, 'name' | 'maxApplications' | 'maxKeysPerApplication' | 'ratelimits' | 'quota' | 'plan'>>,
): Promise<void> {
  const set = {
    ...(patch.ratelimits !== undefined && { ratelimits: toJson(patch.ratelimits) }),
    ...(patch.quota !== undefined && { quota: patch.quota === null ? null : toJson(patch.quota) }),
    ...(patch.plan !== undefined && { plan: patch.plan }),
    ...(patch.name !== undefined && { name: patch.name }),
    ...(patch.maxApplications !== undefined && { max_applications: patch.maxApplications }),
    ...(patch.maxKeysPerApplication !== undefined && { max_keys_per_application: patch.maxKeysPerApplication }),
  };
  // Nothing to change is a no-op: an UPDATE with an empty SET is a syntax error.
  if (Object.keys(set).length === 0) return;
  await db.updateTable('accounts').set(set).where('id', '=', id).execute();
}

/**
 * Serialises writers on one account inside a transaction: an UPDATE takes a row lock on
 * PostgreSQL and the database write lock on SQLite, so count-then-insert limit checks
 * cannot race. Returns false when the account does not exist.
 */
export async function lockAccount(db: Db, id: string): Promise<boolean> {
  const res = await db
    .updateTable('accounts')
    .set((eb) => ({ lock_version: eb('lock_version', '+', 1) }))
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
