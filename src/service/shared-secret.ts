import { newDeviceSecret, SHARED_SECRET_RESET_CONFIRMATION } from '../core/device-secret.js';
import { KeywardError } from '../core/errors.js';
import { secretAad } from '../crypto/secret-box.js';
import { lockAccount } from '../store/repos/accounts.js';
import { clearOwnSecrets, markSharedDevicesRotated } from '../store/repos/devices.js';
import { findSharedSecret, insertSharedSecretIfMissing, upsertSharedSecret } from '../store/repos/shared-secrets.js';
import type { Db } from '../store/store.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { actorIdOf, emit } from './events.js';
import { authorizeOn } from './guards.js';

/** The shared secret is created on first need, inside the caller's transaction. */
export async function ensureSharedSecret(ctx: Ctx, tx: Db, accountId: string): Promise<void> {
  if (await findSharedSecret(tx, accountId)) return;
  await insertSharedSecretIfMissing(tx, accountId, ctx.secrets.seal(newDeviceSecret(), secretAad.sharedSecret(accountId)), ctx.now());
}

/** Admins (and the operator) only; every view is audited, since it discloses the secret. */
export async function viewSharedSecret(ctx: Ctx, actor: Actor, accountId: string): Promise<{ secret: string; updatedAt: number }> {
  await authorizeOn(ctx, actor, accountId, { right: 'admin' });
  // Opened inside the transaction: a secret that cannot be shown is not audited as viewed.
  return ctx.store.transaction(async (tx) => {
    await ensureSharedSecret(ctx, tx, accountId);
    await audit(ctx, tx, actor, { accountId, action: 'shared_secret.view', targetId: accountId });
    const stored = await findSharedSecret(tx, accountId);
    if (!stored) throw new Error('shared secret vanished inside its transaction');
    return { secret: openSharedSecret(ctx, accountId, stored.sealed), updatedAt: stored.updatedAt };
  });
}

/** The shared secret in clear, or 409 SHARED_SECRET_UNREADABLE (logged without the secret) when the loaded master key cannot open it. */
function openSharedSecret(ctx: Ctx, accountId: string, sealed: string): string {
  try {
    return ctx.secrets.open(sealed, secretAad.sharedSecret(accountId));
  } catch (e) {
    ctx.log.error(
      { accountId, loadedMasterKey: ctx.secrets.fingerprint, reason: e instanceof Error ? e.message : String(e) },
      'shared secret cannot be opened: the view answers SHARED_SECRET_UNREADABLE',
    );
    throw new KeywardError('SHARED_SECRET_UNREADABLE');
  }
}

/**
 * Catenis semantics: devices on the shared secret follow the reset at once; with
 * `resetAllDevices` every own secret is cleared too, so all devices use the new one.
 * `devicesReset` counts the devices moved off their own secret.
 */
export async function resetSharedSecret(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  input: { confirm: unknown; resetAllDevices: boolean },
): Promise<{ secret: string; updatedAt: number; devicesReset: number }> {
  await authorizeOn(ctx, actor, accountId, { right: 'admin' });
  if (input.confirm !== SHARED_SECRET_RESET_CONFIRMATION) {
    throw new KeywardError(
      'CONFIRMATION_REQUIRED',
      `Send confirm: "${SHARED_SECRET_RESET_CONFIRMATION}" exactly to reset the shared secret.`,
    );
  }
  const secret = newDeviceSecret();
  const now = ctx.now();
  const devicesReset = await ctx.store.transaction(async (tx) => {
    await lockAccount(tx, accountId);
    await upsertSharedSecret(tx, accountId, ctx.secrets.seal(secret, secretAad.sharedSecret(accountId)), now);
    const moved = input.resetAllDevices ? await clearOwnSecrets(tx, accountId, now) : 0;
    await markSharedDevicesRotated(tx, accountId, now);
    await audit(ctx, tx, actor, {
      accountId,
      action: 'shared_secret.reset',
      targetId: accountId,
      details: { resetAllDevices: input.resetAllDevices, devicesReset: moved },
    });
    await emit(ctx, tx, 'shared_secret.reset', accountId, {
      accountId,
      resetAllDevices: input.resetAllDevices,
      devicesReset: moved,
      actorId: actorIdOf(actor),
    });
    return moved;
  });
  // One account change covers every device on the shared secret, and those just moved to it.
  ctx.changes.publish({ type: 'account', accountId });
  return { secret, updatedAt: now, devicesReset };
}
