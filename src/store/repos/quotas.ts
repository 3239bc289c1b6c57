import { sql } from 'kysely';
import type { Db } from '../store.js';

/** A quota counter as stored: written when a quota is set, then by the ledger's flushes. */
export interface StoredQuotaCounter {
  ownerId: string;
  generation: number;
  remaining: number;
  /** Start of the refill period the remaining belongs to (0 without refill). */
  periodStart: number;
}

export async function readQuotaCounter(db: Db, ownerId: string): Promise<StoredQuotaCounter | undefined> {
  const row = await db.selectFrom('quota_counters').selectAll().where('owner_id', '=', ownerId).executeTakeFirst();
  return (
    row && {
      ownerId: row.owner_id,
      generation: Number(row.generation),
      remaining: Number(row.remaining),
      periodStart: Number(row.period_start),
    }
  );
}

export async function readQuotaCounters(db: Db, ownerIds: readonly string[]): Promise<Map<string, StoredQuotaCounter>> {
  if (ownerIds.length === 0) return new Map();
  const rows = await db.selectFrom('quota_counters').selectAll().where('owner_id', 'in', ownerIds).execute();
  return new Map(
    rows.map((r) => [
      r.owner_id,
      { ownerId: r.owner_id, generation: Number(r.generation), remaining: Number(r.remaining), periodStart: Number(r.period_start) },
    ]),
  );
}

/** Sets a counter afresh (a quota set or replaced): a new generation voids every older spend. */
export async function putQuotaCounter(db: Db, c: StoredQuotaCounter): Promise<void> {
  await db
    .insertInto('quota_counters')
    .values({ owner_id: c.ownerId, generation: c.generation, remaining: c.remaining, period_start: c.periodStart })
    .onConflict((oc) =>
      oc.column('owner_id').doUpdateSet({ generation: c.generation, remaining: c.remaining, period_start: c.periodStart }),
    )
    .execute();
}

export async function deleteQuotaCounter(db: Db, ownerId: string): Promise<void> {
  await db.deleteFrom('quota_counters').where('owner_id', '=', ownerId).execute();
}

/** Credits spent in one refill period of one generation, not yet written. */
export interface QuotaDebit {
  ownerId: string;
  generation: number;
  periodStart: number;
  /** The refill amount, or null: a counter still in an older period is refilled to it before the debit. */
  refillAmount: number | null;
  spent: number;
}

/**
 * Subtracts spent credits, refilling lazily first when the stored counter is in an older period
 * than the spend. Debits commute (each is one UPDATE relative to the row), so nodes flushing at
 * once never lose each other's; a debit of an older generation or of a period already over is void.
 */
export async function applyQuotaDebits(db: Db, debits: readonly QuotaDebit[]): Promise<void> {
  for (const d of debits) {
    const refill = d.refillAmount;
    await db
      .updateTable('quota_counters')
      .set(
        refill === null
          ? { remaining: sql<number>`remaining - ${d.spent}` }
          : {
              remaining: sql<number>`case when period_start < ${d.periodStart} then ${refill - d.spent} else remaining - ${d.spent} end`,
              period_start: sql<number>`case when period_start < ${d.periodStart} then ${d.periodStart} else period_start end`,
            },
      )
      .where('owner_id', '=', d.ownerId)
      .where('generation', '=', d.generation)
      .where('period_start', '<=', d.periodStart)
      .execute();
  }
}
