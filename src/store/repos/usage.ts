import { sql } from 'kysely';
import type { Db } from '../store.js';

export interface KeyUsageDelta {
  keyId: string;
  count: number;
  lastUsedAt: number;
  /** Hour bucket start -> uses in that hour. */
  buckets: ReadonlyMap<number, number>;
  /** Hour bucket start -> verifications a rate limit or quota refused in that hour (none: null). */
  rejected: ReadonlyMap<number, number> | null;
}

/** Adds buffered uses (and refusals) to the keys' totals and hourly buckets; run inside one transaction. */
export async function applyUsage(db: Db, deltas: readonly KeyUsageDelta[]): Promise<void> {
  for (const d of deltas) {
    // Only uses move the key's total and last-used time; a refusal is not a use.
    const exists =
      d.count > 0
        ? Number(
            (
              await db
                .updateTable('access_keys')
                .set({
                  usage_count: sql<number>`usage_count + ${d.count}`,
                  last_used_at: sql<number>`case when last_used_at is null or last_used_at < ${d.lastUsedAt} then ${d.lastUsedAt} else last_used_at end`,
                })
                .where('id', '=', d.keyId)
                .executeTakeFirst()
            ).numUpdatedRows,
          ) > 0
        : (await db.selectFrom('access_keys').select('id').where('id', '=', d.keyId).executeTakeFirst()) !== undefined;
    // A key deleted since its use was recorded keeps no usage rows behind.
    if (!exists) continue;
    const hours = new Map<number, { count: number; rejected: number }>();
    for (const [t, n] of d.buckets) hours.set(t, { count: n, rejected: 0 });
    for (const [t, n] of d.rejected ?? []) {
      const h = hours.get(t);
      if (h) h.rejected += n;
      else hours.set(t, { count: 0, rejected: n });
    }
    if (hours.size === 0) continue;
    const rows = [...hours].map(([bucket_start, h]) => ({ key_id: d.keyId, bucket_start, count: h.count, rejected: h.rejected }));
    await db
      .insertInto('key_usage')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['key_id', 'bucket_start']).doUpdateSet({
          count: sql<number>`key_usage.count + excluded.count`,
          rejected: sql<number>`key_usage.rejected + excluded.rejected`,
        }),
      )
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
): Promise<{ keyId: string; t: number; count: number; rejected: number }[]> {
  if (keyIds.length === 0) return [];
  const rows = await db
    .selectFrom('key_usage')
    .select(['key_id', 'bucket_start', 'count', 'rejected'])
    .where('key_id', 'in', keyIds)
    .where('bucket_start', '>=', from)
    .where('bucket_start', '<', to)
    .orderBy('key_id')
    .orderBy('bucket_start')
    .execute();
  return rows.map((r) => ({ keyId: r.key_id, t: Number(r.bucket_start), count: Number(r.count), rejected: Number(r.rejected) }));
}
