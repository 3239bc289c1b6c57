import type { Kysely } from 'kysely';

/**
 * Rate limits and quotas (issue #12, docs/ratelimits.md). Limits are configuration: a JSON list
 * on the key and on the account, and the account's plan (a name from the catalogue file). A
 * quota's configuration is JSON beside them; its counter, spent on every verification and
 * written in batches, is a row of its own so those writes never touch the key or account rows.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('access_keys')
    .addColumn('ratelimits', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema.alterTable('access_keys').addColumn('quota', 'text').execute();
  await db.schema
    .alterTable('accounts')
    .addColumn('ratelimits', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema.alterTable('accounts').addColumn('quota', 'text').execute();
  await db.schema.alterTable('accounts').addColumn('plan', 'text').execute();
  await db.schema
    .createTable('quota_counters')
    .addColumn('owner_id', 'text', (c) => c.primaryKey())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .addColumn('remaining', 'bigint', (c) => c.notNull())
    .addColumn('period_start', 'bigint', (c) => c.notNull())
    .execute();
}
