import { sql } from 'kysely';
import type { Db } from '../store.js';

export interface KeyUsageDelta {
  keyId: string;
  count: number;
  lastUsedAt: number;
  /** Hour bucket start -> uses in that hour. */
  buckets: ReadonlyMap<number, number>;
}

/** Adds buffered uses to the keys' totals and hourly buckets; run inside one transaction. */
export async function applyUsage(db: Db, deltas: readonly KeyUsageDelta[]): Promise<void> {
  for (const d of deltas) {
    const updated = await db
      .updateTable('access_keys')
      .set({
        usage_count: sql<number>`usage_count + ${d.count}`,
        last_used_at: sql<number>`case when last_used_at is null or last_used_at < ${d.lastUsedAt} then ${d.lastUsedAt} else last_used_at end`,
      })
      .where('id', '=', d.keyId)
      .executeTakeFirst();
    // A key deleted since its use was recorded keeps no usage rows behind.
    if (Number(updated.numUpdatedRows) === 0) continue;
    const rows = [...d.buckets].map(([bucket_start, count]) => ({ key_id: d.keyId, bucket_start, count }));
    if (rows.length === 0) continue;
    await db
      .insertInto('key_usage')
      .values(rows)
      .onConflict((oc) => oc.columns(['key_id', 'bucket_start']).doUpdateSet({ count: sql<number>`key_usage.count + excluded.count` }))
      .execute();
  }
}

export async function deleteKeyUsage(db: Db, keyId: string): Promise<void> {
  await db.deleteFrom('key_usage').where('key_id', '=', keyId).execute();
}

export async function listKeyUsage(
  db: Db,
  keyIds: readonly string[],
  from: number,
  to: number,
): Promise<{ keyId: string; t: number; count: number }[]> {
  if (keyIds.length === 0) return [];
  const rows = await db
    .selectFrom('key_usage')
    .select(['key_id', 'bucket_start', 'count'])
    .where('key_id', 'in', keyIds)
    .where('bucket_start', '>=', from)
    .where('bucket_start', '<', to)
    .orderBy('key_id')
    .orderBy('bucket_start')
    .execute();
  return rows.map((r) => ({ keyId: r.key_id, t: Number(r.bucket_start), count: Number(r.count) }));
}
