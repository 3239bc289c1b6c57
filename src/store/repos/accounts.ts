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

/** One account's size and recent use, for the operator's Accounts page. */
export interface AccountUsageRow {
  accountId: string;
  users: number;
  activeApplications: number;
  activeKeys: number;
  devices: number;
  uses: number;
  rejected: number;
  lastUsedAt: number | null;
  /** Signed device requests let through / refused by the account's limits since `from`, and the latest one let through. */
  deviceUses: number;
  deviceRejected: number;
  deviceLastUsedAt: number | null;
}

/**
 * Every account's live users, active applications (creator not deleted), active unexpired keys,
 * devices, and uses and refusals since `from` (hour buckets): one grouped query per table, so the
 * cost does not grow with a round trip per account.
 */
export async function accountUsageRows(db: Db, now: number, from: number): Promise<AccountUsageRow[]> {
  const [accounts, users, apps, keys, devices, usage, deviceUsage] = await Promise.all([
    db.selectFrom('accounts').select('id').orderBy('created_at').orderBy('id').execute(),
    db
      .selectFrom('users')
      .select((eb) => ['account_id', eb.fn.countAll<number>().as('n')])
      .where('deleted_at', 'is', null)
      .where('account_id', 'is not', null)
      .groupBy('account_id')
      .execute(),
    db
      .selectFrom('applications')
      .innerJoin('users', 'users.id', 'applications.created_by')
      .select((eb) => ['applications.account_id as account_id', eb.fn.countAll<number>().as('n')])
      .where('applications.status', '=', 'active')
      .where('users.deleted_at', 'is', null)
      .groupBy('applications.account_id')
      .execute(),
    // Keys that verify (auth/access-key.ts decide): active, unexpired, and not disabled by a revoked
    // application or a deleted creator (of the key, or of its application).
    db
      .selectFrom('access_keys')
      .innerJoin('users as key_creator', 'key_creator.id', 'access_keys.created_by')
      .leftJoin('applications', 'applications.id', 'access_keys.application_id')
      .leftJoin('users as app_creator', 'app_creator.id', 'applications.created_by')
      .select((eb) => [
        'access_keys.account_id as account_id',
        eb.fn
          .sum<number>(
            eb
              .case()
              .when(
                eb.and([
                  eb('access_keys.status', '=', 'active'),
                  eb.or([eb('access_keys.expires_at', 'is', null), eb('access_keys.expires_at', '>', now)]),
                  eb('key_creator.deleted_at', 'is', null),
                  eb.or([
                    eb('access_keys.application_id', 'is', null),
                    eb.and([eb('applications.status', '=', 'active'), eb('app_creator.deleted_at', 'is', null)]),
                  ]),
                ]),
              )
              .then(1)
              .else(0)
              .end(),
          )
          .as('n'),
        eb.fn.max('access_keys.last_used_at').as('last'),
      ])
      .groupBy('access_keys.account_id')
      .execute(),
    db
      .selectFrom('devices')
      .select((eb) => ['account_id', eb.fn.countAll<number>().as('n'), eb.fn.max('last_used_at').as('last')])
      .groupBy('account_id')
      .execute(),
    db
      .selectFrom('key_usage')
      .innerJoin('access_keys', 'access_keys.id', 'key_usage.key_id')
      .select((eb) => [
        'access_keys.account_id as account_id',
        eb.fn.sum<number>('key_usage.count').as('uses'),
        eb.fn.sum<number>('key_usage.rejected').as('rejected'),
      ])
      .where('key_usage.bucket_start', '>=', from)
      .groupBy('access_keys.account_id')
      .execute(),
    db
      .selectFrom('device_usage')
      .innerJoin('devices', 'devices.id', 'device_usage.device_id')
      .select((eb) => [
        'devices.account_id as account_id',
        eb.fn.sum<number>('device_usage.count').as('uses'),
        eb.fn.sum<number>('device_usage.rejected').as('rejected'),
      ])
      .where('device_usage.bucket_start', '>=', from)
      .groupBy('devices.account_id')
      .execute(),
  ]);
  const count = (rows: { account_id: string | null; n: unknown }[]) => new Map(rows.map((r) => [r.account_id, Number(r.n ?? 0)]));
  const u = count(users);
  const a = count(apps);
  const k = count(keys);
  const d = count(devices);
  const last = new Map(keys.map((r) => [r.account_id, r.last == null ? null : Number(r.last)]));
  const used = new Map(usage.map((r) => [r.account_id, { uses: Number(r.uses ?? 0), rejected: Number(r.rejected ?? 0) }]));
  const deviceUsed = new Map(deviceUsage.map((r) => [r.account_id, { uses: Number(r.uses ?? 0), rejected: Number(r.rejected ?? 0) }]));
  const deviceLast = new Map(devices.map((r) => [r.account_id, r.last == null ? null : Number(r.last)]));
  return accounts.map(({ id }) => ({
    accountId: id,
    users: u.get(id) ?? 0,
    activeApplications: a.get(id) ?? 0,
    activeKeys: k.get(id) ?? 0,
    devices: d.get(id) ?? 0,
    uses: used.get(id)?.uses ?? 0,
    rejected: used.get(id)?.rejected ?? 0,
    lastUsedAt: last.get(id) ?? null,
    deviceUses: deviceUsed.get(id)?.uses ?? 0,
    deviceRejected: deviceUsed.get(id)?.rejected ?? 0,
    deviceLastUsedAt: deviceLast.get(id) ?? null,
  }));
}
