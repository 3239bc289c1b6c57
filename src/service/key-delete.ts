import { KeywardError } from '../core/errors.js';
import { deleteKey as deleteKeyRow } from '../store/repos/keys.js';
import { deleteQuotaCounter } from '../store/repos/quotas.js';
import { deleteKeyUsage } from '../store/repos/usage.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { authorizeOn } from './guards.js';
import { keyFor } from './keys.js';

/** Senet: a key used within this window needs a second, explicit confirmation to delete. */
export const RECENT_USE_MS = 3 * 24 * 3_600_000;

export interface DeleteKeyInput {
  /** The key's application ID (application key) or the account's customer ID (customer key), typed back. */
  confirm: string;
  confirmRecentUse?: boolean | undefined;
}

/**
 * Deletes a key for good (the audit trail keeps the event). Checks, in order: permission
 * (revoke on the application's keys; admins for customer keys), the typed-back ID, then
 * recent use, counting uses still buffered in memory.
 */
export async function deleteKey(ctx: Ctx, actor: Actor, accountId: string, keyId: string, input: DeleteKeyInput): Promise<void> {
  const account = await authorizeOn(ctx, actor, accountId, {});
  const { key } = await keyFor(ctx, actor.principal, account, keyId, 'revoke');
  const expected = key.kind === 'customer' ? account.customerId : key.applicationId;
  if (expected === null || input.confirm.trim() !== expected) {
    const what = key.kind === 'customer' ? "the account's customer ID" : "the key's application ID";
    throw new KeywardError('CONFIRMATION_MISMATCH', `Type ${what} to confirm deleting this key.`, { kind: key.kind });
  }
  const buffered = ctx.usage.pendingLastUsed(keyId);
  const lastUsedAt = Math.max(key.lastUsedAt ?? 0, buffered ?? 0) || null;
  const recentlyUsed = lastUsedAt !== null && ctx.now() - lastUsedAt < RECENT_USE_MS;
  if (recentlyUsed && input.confirmRecentUse !== true) {
    throw new KeywardError(
      'RECENT_USE_CONFIRMATION_REQUIRED',
      'This key was used within the past 3 days: send confirmRecentUse: true to delete it anyway.',
      { lastUsedAt },
    );
  }
  await ctx.store.transaction(async (tx) => {
    await deleteKeyUsage(tx, keyId);
    await deleteQuotaCounter(tx, keyId);
    await deleteKeyRow(tx, keyId);
    await audit(ctx, tx, actor, {
      accountId,
      action: 'key.delete',
      targetId: keyId,
      details: {
        kind: key.kind,
        name: key.name,
        applicationId: key.applicationId,
        confirm: input.confirm.trim(),
        recentUseConfirmed: recentlyUsed,
        lastUsedAt,
      },
    });
  });
  ctx.usage.forget(keyId);
  ctx.changes.publish({ type: 'key', keyId });
}
