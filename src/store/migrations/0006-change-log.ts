import type { Kysely } from 'kysely';

/**
 * Messages between the processes sharing one SQLite file (the cache invalidation relay, see
 * src/store/dialect/sqlite/change-log-bus.ts): each reads the rows after the last it saw, and
 * old rows are pruned. `integer primary key` is SQLite's rowid, the largest plus one on insert.
 * PostgreSQL relays with LISTEN/NOTIFY instead and leaves this table empty.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('change_log')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}
