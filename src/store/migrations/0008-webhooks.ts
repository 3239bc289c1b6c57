import type { Kysely } from 'kysely';

/**
 * Lifecycle events (docs/webhooks.md): endpoints, the outbox of events (written in the
 * transaction of the change they describe), one delivery per event × endpoint, the notices the
 * expiry scan already sent (its primary key makes the scan idempotent on every node at once),
 * and each account's leak policy. Migration 0007 belongs to the rate-limit work.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // null: an operator endpoint, receiving the events of every account.
    .addColumn('account_id', 'text', (c) => c.references('accounts.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('event_types', 'text', (c) => c.notNull())
    // The signing secret, sealed under the master key like device secrets.
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('master_key_id', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('failure_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled_reason', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_endpoints_account').on('webhook_endpoints').columns(['account_id', 'enabled']).execute();

  await db.schema
    .createTable('webhook_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_events_account_time').on('webhook_events').columns(['account_id', 'created_at']).execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull().references('webhook_events.id'))
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // Due time; while a node delivers it, the end of that node's lease.
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    // Which claim holds it: only that claim may record the outcome.
    .addColumn('lease_id', 'text')
    .addColumn('last_attempt_at', 'bigint')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_endpoint').on('webhook_deliveries').columns(['endpoint_id', 'created_at']).execute();

  await db.schema
    .createTable('key_notices')
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    // Seconds before expiry for key.expiring; 0 for key.expired.
    .addColumn('threshold', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('key_notices_pk', ['key_id', 'event_type', 'threshold'])
    .execute();
  await db.schema.createIndex('access_keys_expiry').on('access_keys').columns(['status', 'expires_at']).execute();

  await db.schema
    .createTable('leak_policies')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('overlap_seconds', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
