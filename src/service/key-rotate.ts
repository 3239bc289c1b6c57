import { KeywardError } from '../core/errors.js';
import { hashSecret } from '../core/key-format.js';
import { type AccessKey, keyStatus } from '../core/model.js';
import { canOnKeysOf } from '../core/permissions.js';
import { lockAccount } from '../store/repos/accounts.js';
import { findKey, updateKey as updateKeyRow } from '../store/repos/keys.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { actorIdOf, emit, keyEventData } from './events.js';
import { authorizeOn } from './guards.js';
import { assertGrantable, draftKey, insertKeyWithinLimit } from './key-issue.js';
import { keyFor, withRemaining } from './keys.js';
import { copyQuotaCounter } from './limits.js';

export const MAX_OVERLAP_SECONDS = 30 * 86_400;

/**
 * Rotation: a new key with exactly the old key's access (kind, application, scopes, roles,
 * expiry), and the old key kept working for an overlap window so callers can switch without
 * downtime. An overlap of 0 revokes the old key at once. Access is never widened: the
 * rotating user must be able to grant every scope the old key holds. The key limit holds at
 * every moment: with an overlap the successor needs a free place (KEY_LIMIT_REACHED at the
 * limit); with overlap 0 it takes the old key's place in the same transaction.
 */
export async function rotateKey(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  keyId: string,
  input: { overlapSeconds: number; name?: string | undefined },
): Promise<{ key: AccessKey; secret: string; previous: AccessKey }> {
  const p = actor.principal;
  const account = await authorizeOn(ctx, actor, accountId, { creates: 'key' });
  const { key: old, app } = await keyFor(ctx, p, account, keyId, 'revoke');
  if (app) {
    if (!canOnKeysOf(p, 'create', app.createdBy)) {
      throw new KeywardError('FORBIDDEN', 'Rotating needs both the create and revoke key permissions.');
    }
    if (app.status === 'revoked') throw new KeywardError('APPLICATION_REVOKED');
    if (app.status === 'disabled') {
      throw new KeywardError('APPLICATION_DISABLED', 'Keys cannot be rotated in this application: the user who created it was deleted.');
    }
  }
  const now = ctx.now();
  const status = keyStatus(old, now);
  if (status !== 'active') throw new KeywardError('KEY_NOT_ACTIVE', `Only an active key can be rotated; this one is ${status}.`);
  assertGrantable(p, old.scopes);

  const { key, secret } = draftKey(ctx, {
    accountId,
    applicationId: old.applicationId,
    kind: old.kind,
    name: input.name ?? old.name,
    description: old.description,
    scopes: old.scopes,
    roles: old.roles,
    expiresAt: old.expiresAt,
    createdBy: p.userId,
    // Limits are the key's, not its secret's: the successor keeps them, and its quota goes on from the old key's counter.
    ratelimits: old.ratelimits,
    quota: old.quota,
  });
  const overlapEnd = now + input.overlapSeconds * 1000;
  const previous = await ctx.store.transaction(async (tx) => {
    // The account lock serialises this with creations and rotations (insertKeyWithinLimit counts under it).
    await lockAccount(tx, accountId);
    // Read again under the lock: a revocation or rotation that committed since the read above wins.
    const current = await findKey(tx, accountId, old.id);
    if (!current || keyStatus(current, now) !== 'active') throw new KeywardError('KEY_NOT_ACTIVE');
    const previous: AccessKey =
      input.overlapSeconds === 0
        ? { ...current, status: 'revoked', revokedAt: now, updatedAt: now }
        : { ...current, expiresAt: Math.min(current.expiresAt ?? Number.POSITIVE_INFINITY, overlapEnd), updatedAt: now };
    if (input.overlapSeconds === 0) {
      // A swap: the old key stops counting before its successor is counted, so it works at the limit.
      await updateKeyRow(tx, old.id, { status: 'revoked', revokedAt: now, updatedAt: now });
      await insertKeyWithinLimit(tx, account, key, secret, now);
    } else {
      // Both keys are live during the overlap, so the successor needs room of its own.
      await insertKeyWithinLimit(tx, account, key, secret, now, { rotating: true });
      await updateKeyRow(tx, old.id, { expiresAt: previous.expiresAt, updatedAt: now });
    }
    await copyQuotaCounter(tx, old.id, key.id);
    await audit(ctx, tx, actor, {
      accountId,
      action: 'key.rotate',
      targetId: key.id,
      details: { fromKeyId: old.id, overlapSeconds: input.overlapSeconds, previousExpiresAt: previous.expiresAt },
    });
    await emit(ctx, tx, 'key.rotated', accountId, {
      key: keyEventData(key, now),
      previous: keyEventData(previous, now),
      overlapSeconds: input.overlapSeconds,
      actorId: actorIdOf(actor),
    });
    return previous;
  });
  ctx.changes.publish({ type: 'key', keyId: old.id });
  ctx.changes.publish({ type: 'key', keyId: key.id, keyHash: hashSecret(secret) });
  return { key: { ...key, leakedAt: null }, secret, previous: (await withRemaining(ctx, [previous]))[0] as AccessKey };
}
