import type { Kysely } from 'kysely';

// Migrations are frozen in time, so they take an untyped Kysely rather than today's schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // AES-256-GCM envelope of the device's own secret; null means it uses the account's shared secret.
    .addColumn('secret_enc', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('secret_updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('devices_account').on('devices').columns(['account_id', 'created_at']).execute();

  await db.schema
    .createTable('account_shared_secrets')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
