import { type Kysely, sql } from 'kysely';

/**
 * The id (fingerprint) of the master key that sealed each secret, beside the secret, so a start
 * can tell without any key whether the key it is about to use is the one the secrets need.
 * Existing rows take it from their envelope, `v1.<8 hex fingerprint>.<iv>.<tag>.<ciphertext>`;
 * a row that is not such an envelope keeps null (sealed by an unknown key).
 */
// Migrations are frozen in time, so they take an untyped Kysely rather than today's schema types.
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['devices', 'account_shared_secrets']) {
    await db.schema.alterTable(table).addColumn('master_key_id', 'text').execute();
    await db
      .updateTable(table)
      .set({ master_key_id: sql`substr(secret_enc, 4, 8)` })
      .where('secret_enc', 'like', 'v1.%')
      .where(sql<boolean>`substr(secret_enc, 12, 1) = '.'`)
      .execute();
  }
}
