import { DEFAULT_LEAK_POLICY, type LeakPolicy } from '../../core/leak-policy.js';
import type { Db } from '../store.js';

export async function findLeakPolicy(db: Db, accountId: string): Promise<LeakPolicy> {
  const row = await db
    .selectFrom('leak_policies')
    .select(['action', 'overlap_seconds'])
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row ? { mode: row.action, overlapSeconds: Number(row.overlap_seconds) } : DEFAULT_LEAK_POLICY;
}

export async function upsertLeakPolicy(db: Db, accountId: string, policy: LeakPolicy, now: number): Promise<void> {
  await db
    .insertInto('leak_policies')
    .values({ account_id: accountId, action: policy.mode, overlap_seconds: policy.overlapSeconds, updated_at: now })
    .onConflict((oc) =>
      oc.column('account_id').doUpdateSet({ action: policy.mode, overlap_seconds: policy.overlapSeconds, updated_at: now }),
    )
    .execute();
}
