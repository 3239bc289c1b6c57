import { sealedWith } from '../../crypto/secret-box.js';
import type { Db } from '../store.js';

export interface SealedSharedSecret {
  accountId: string;
  sealed: string;
  updatedAt: number;
}

export async function findSharedSecret(db: Db, accountId: string): Promise<SealedSharedSecret | undefined> {
  const row = await db.selectFrom('account_shared_secrets').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  return row && { accountId: row.account_id, sealed: row.secret_enc, updatedAt: row.updated_at };
}

/** Creates the shared secret unless one exists (two first uses may race: the first wins). */
export async function insertSharedSecretIfMissing(db: Db, accountId: string, sealed: string, now: number): Promise<void> {
  await db
    .insertInto('account_shared_secrets')
    .values({ account_id: accountId, secret_enc: sealed, master_key_id: sealedWith(sealed), updated_at: now })
    .onConflict((oc) => oc.column('account_id').doNothing())
    .execute();
}

export async function upsertSharedSecret(db: Db, accountId: string, sealed: string, now: number): Promise<void> {
  await db
    .insertInto('account_shared_secrets')
    .values({ account_id: accountId, secret_enc: sealed, master_key_id: sealedWith(sealed), updated_at: now })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ secret_enc: sealed, master_key_id: sealedWith(sealed), updated_at: now }))
    .execute();
}

export async function listSealedSharedSecrets(db: Db): Promise<SealedSharedSecret[]> {
  const rows = await db.selectFrom('account_shared_secrets').selectAll().orderBy('account_id').execute();
  return rows.map((r) => ({ accountId: r.account_id, sealed: r.secret_enc, updatedAt: r.updated_at }));
}

export async function resealSharedSecret(db: Db, accountId: string, sealed: string): Promise<void> {
  await db
    .updateTable('account_shared_secrets')
    .set({ secret_enc: sealed, master_key_id: sealedWith(sealed) })
    .where('account_id', '=', accountId)
    .execute();
}

/** How many shared secrets each master key sealed (`keyId` null: not recorded). */
export async function countSharedSecretsByKey(db: Db): Promise<{ keyId: string | null; count: number }[]> {
  const rows = await db
    .selectFrom('account_shared_secrets')
    .select((eb) => ['master_key_id', eb.fn.countAll<number>().as('n')])
    .groupBy('master_key_id')
    .execute();
  return rows.map((r) => ({ keyId: r.master_key_id, count: Number(r.n) }));
}
