import type { Kysely } from 'kysely';

/**
 * Audit events by target and action (issue #14): key reads show when a key was reported leaked
 * (`leakedAt`), from the `key.leak` audit event the leak intake writes. Additive: an index only,
 * so a node of the previous version runs unchanged on a migrated database.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('audit_events_target').on('audit_events').columns(['target_id', 'action']).execute();
}
