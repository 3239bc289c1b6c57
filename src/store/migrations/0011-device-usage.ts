import type { Kysely } from 'kysely';

/**
 * Usage of signed device requests (issue #12), the device equivalent of `key_usage` and
 * `access_keys.usage_count`: per device and hour, the requests let through (`count`) and those the
 * account's rate limits or quota refused (`rejected`), and running totals on the device
 * (`last_used_at` exists since 0002). Additive with defaults, so a node of the previous version
 * keeps inserting devices on a migrated database (and simply records no device usage).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('device_usage')
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('bucket_start', 'bigint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rejected', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('device_usage_pk', ['device_id', 'bucket_start'])
    .execute();
  await db.schema
    .alterTable('devices')
    .addColumn('usage_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('devices')
    .addColumn('rejected_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}
