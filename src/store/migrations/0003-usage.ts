import type { Kysely } from 'kysely';

// Hourly usage per key for the dashboard's chart; access_keys keeps the running total.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('key_usage')
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('bucket_start', 'bigint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('key_usage_pk', ['key_id', 'bucket_start'])
    .execute();
}
