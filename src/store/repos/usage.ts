import { CompiledQuery, sql } from 'kysely';
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

/**
 * Adds buffered uses (and refusals) to the keys' totals and hourly buckets; run inside one transaction.
 *
 * With many distinct keys in use (issue #15: 100k keys, each used once a second or less) a flush
 * writes thousands of keys, two statements each. So the two statements are compiled once per
 * flush and run with each key's values (compiling cost more than running them), and the flush
 * lets the event loop run every `YIELD_EVERY` keys: a SQLite statement runs synchronously, so a
 * flush of 20k keys would otherwise hold every request back for hundreds of milliseconds.
 * `writeNow` (the store's, SQLite) runs them without Kysely; it must belong to the store whose
 * transaction `db` is.
 */
export async function applyUsage(db: Db, deltas: readonly KeyUsageDelta[], writeNow?: WriteNow): Promise<void> {
  const statements = usageStatements(db);
  // Where the store can (SQLite, `Store.writeNow`), the two statements run synchronously on the
  // transaction's own connection: Kysely's driver, executor and promises cost ~2 µs a statement.
  const run = async (q: CompiledQuery) =>
    writeNow !== undefined ? writeNow(q.sql, q.parameters) : Number((await db.executeQuery(q)).numAffectedRows ?? 0);
  let written = 0;
  for (const d of deltas) {
    if (++written % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    // Only uses move the key's total and last-used time; a refusal is not a use.
    const exists =
      d.count > 0
        ? (await run(statements.addUse(d))) > 0
        : (await db.selectFrom('access_keys').select('id').where('id', '=', d.keyId).executeTakeFirst()) !== undefined;
    // A key deleted since its use was recorded keeps no usage rows behind.
    if (!exists) continue;
    if (d.buckets.size === 1 && d.rejected === null) {
      // The usual case: uses in one hour, no refusals.
      for (const [bucket, count] of d.buckets) await run(statements.addBucket(d.keyId, bucket, count));
      continue;
    }
    const hours = new Map<number, { count: number; rejected: number }>();
    for (const [t, n] of d.buckets) hours.set(t, { count: n, rejected: 0 });
    for (const [t, n] of d.rejected ?? []) {
      const h = hours.get(t);
      if (h) h.rejected += n;
      else hours.set(t, { count: 0, rejected: n });
    }
    if (hours.size === 0) continue;
    const rows = [...hours].map(([bucket_start, h]) => ({ key_id: d.keyId, bucket_start, count: h.count, rejected: h.rejected }));
    await bucketUpsert(db, rows).execute();
  }
}

const YIELD_EVERY = 128;

/** `Store.writeNow`: only ever called inside the transaction `db` is. */
type WriteNow = (sql: string, params: readonly unknown[]) => number;

function bucketUpsert(db: Db, rows: { key_id: string; bucket_start: number; count: number; rejected: number }[]) {
  return db
    .insertInto('key_usage')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['key_id', 'bucket_start']).doUpdateSet({
        count: sql<number>`key_usage.count + excluded.count`,
        rejected: sql<number>`key_usage.rejected + excluded.rejected`,
      }),
    );
}

/**
 * The two statements of a key's flush, compiled once with marker values and run with each
 * key's own: every marker is found back among the compiled parameters, so the order the
 * dialect puts them in does not matter.
 */
function usageStatements(db: Db) {
  const KEY = '\u0000key';
  const COUNT = -1_000_001;
  const LAST = -1_000_002;
  const BUCKET = -1_000_003;
  const update = db
    .updateTable('access_keys')
    .set({
      usage_count: sql<number>`usage_count + ${COUNT}`,
      last_used_at: sql<number>`case when last_used_at is null or last_used_at < ${LAST} then ${LAST} else last_used_at end`,
    })
    .where('id', '=', KEY)
    .compile();
  const upsert = bucketUpsert(db, [{ key_id: KEY, bucket_start: BUCKET, count: COUNT, rejected: 0 }]).compile();
  // Per compiled parameter: which marker's value goes there, or -1 for a constant of the
  // statement itself (rejected: 0), kept as compiled.
  const slots = (q: CompiledQuery, markers: readonly unknown[]) => q.parameters.map((p) => markers.indexOf(p));
  const updateSlots = slots(update, [KEY, COUNT, LAST]);
  const upsertSlots = slots(upsert, [KEY, BUCKET, COUNT]);
  const fill = (q: CompiledQuery, slotsOf: number[], values: readonly unknown[]) =>
    slotsOf.map((slot, i) => (slot === -1 ? q.parameters[i] : values[slot]));
  return {
    addUse: (d: KeyUsageDelta) => CompiledQuery.raw(update.sql, fill(update, updateSlots, [d.keyId, d.count, d.lastUsedAt])),
    addBucket: (keyId: string, bucket: number, count: number) =>
      CompiledQuery.raw(upsert.sql, fill(upsert, upsertSlots, [keyId, bucket, count])),
  };
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

export interface DeviceUsageDelta {
  deviceId: string;
  /** Signed requests let through. */
  count: number;
  /** The latest of them; 0 when only refusals are in the delta. */
  lastUsedAt: number;
  buckets: ReadonlyMap<number, number>;
  /** Hour bucket start -> requests the account's rate limits or quota refused (none: null). */
  rejected: ReadonlyMap<number, number> | null;
}

/**
 * Adds buffered signed device requests to the devices' totals (`usage_count`, `rejected_count`,
 * `last_used_at`, never moved back) and to `device_usage`; run inside one transaction. A device
 * deleted since keeps no rows behind. As for keys, the statements are compiled once per flush
 * and run with each device's values, and the event loop runs every `YIELD_EVERY` devices.
 */
export async function applyDeviceUsage(db: Db, deltas: readonly DeviceUsageDelta[]): Promise<void> {
  const statements = deviceUsageStatements(db);
  let written = 0;
  for (const d of deltas) {
    if (++written % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    const hours = new Map<number, { count: number; rejected: number }>();
    for (const [t, n] of d.buckets) hours.set(t, { count: n, rejected: 0 });
    let rejected = 0;
    for (const [t, n] of d.rejected ?? []) {
      rejected += n;
      const h = hours.get(t);
      if (h) h.rejected += n;
      else hours.set(t, { count: 0, rejected: n });
    }
    // lastUsedAt 0 (refusals only) leaves last_used_at as it is.
    const updated = await db.executeQuery(statements.addTotals(d.deviceId, d.count, rejected, d.count > 0 ? d.lastUsedAt : 0));
    if (Number(updated.numAffectedRows ?? 0) === 0) continue;
    for (const [bucket, h] of hours) await db.executeQuery(statements.addHour(d.deviceId, bucket, h.count, h.rejected));
  }
}

/** The two statements of a device's flush, compiled once with marker values (see usageStatements). */
function deviceUsageStatements(db: Db) {
  const ID = '\u0000device';
  const COUNT = -1_000_001;
  const REJECTED = -1_000_002;
  const LAST = -1_000_003;
  const BUCKET = -1_000_004;
  const update = db
    .updateTable('devices')
    .set({
      usage_count: sql<number>`usage_count + ${COUNT}`,
      rejected_count: sql<number>`rejected_count + ${REJECTED}`,
      last_used_at: sql<number>`case when cast(${LAST} as bigint) > 0 and (last_used_at is null or last_used_at < ${LAST}) then ${LAST} else last_used_at end`,
    })
    .where('id', '=', ID)
    .compile();
  const upsert = db
    .insertInto('device_usage')
    .values({ device_id: ID, bucket_start: BUCKET, count: COUNT, rejected: REJECTED })
    .onConflict((oc) =>
      oc.columns(['device_id', 'bucket_start']).doUpdateSet({
        count: sql<number>`device_usage.count + excluded.count`,
        rejected: sql<number>`device_usage.rejected + excluded.rejected`,
      }),
    )
    .compile();
  const slots = (q: CompiledQuery, markers: readonly unknown[]) => q.parameters.map((p) => markers.indexOf(p));
  const updateSlots = slots(update, [ID, COUNT, REJECTED, LAST]);
  const upsertSlots = slots(upsert, [ID, BUCKET, COUNT, REJECTED]);
  const fill = (q: CompiledQuery, slotsOf: number[], values: readonly unknown[]) =>
    slotsOf.map((slot, i) => (slot === -1 ? q.parameters[i] : values[slot]));
  return {
    addTotals: (id: string, count: number, rejected: number, last: number) =>
      CompiledQuery.raw(update.sql, fill(update, updateSlots, [id, count, rejected, last])),
    addHour: (id: string, bucket: number, count: number, rejected: number) =>
      CompiledQuery.raw(upsert.sql, fill(upsert, upsertSlots, [id, bucket, count, rejected])),
  };
}

export async function deleteDeviceUsage(db: Db, deviceId: string): Promise<void> {
  await db.deleteFrom('device_usage').where('device_id', '=', deviceId).execute();
}

export async function listDeviceUsage(
  db: Db,
  deviceIds: readonly string[],
  from: number,
  to: number,
): Promise<{ deviceId: string; t: number; count: number; rejected: number }[]> {
  if (deviceIds.length === 0) return [];
  const rows = await db
    .selectFrom('device_usage')
    .select(['device_id', 'bucket_start', 'count', 'rejected'])
    .where('device_id', 'in', deviceIds)
    .where('bucket_start', '>=', from)
    .where('bucket_start', '<', to)
    .orderBy('device_id')
    .orderBy('bucket_start')
    .execute();
  return rows.map((r) => ({ deviceId: r.device_id, t: Number(r.bucket_start), count: Number(r.count), rejected: Number(r.rejected) }));
}
