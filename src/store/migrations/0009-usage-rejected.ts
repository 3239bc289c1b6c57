import type { Kysely } from 'kysely';

/**
 * Refused verifications per key and hour (issue #12): requests a rate limit or quota turned away
 * (RATE_LIMITED, USAGE_EXCEEDED), beside the uses in `count`. Additive with a default, so a node of
 * the previous version keeps inserting and incrementing `count` on a migrated database.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('key_usage')
    .addColumn('rejected', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}
