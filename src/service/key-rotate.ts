import { KeywardError } from '../core/errors.js';
import { hashSecret } from '../core/key-format.js';
import { type AccessKey, keyStatus } from '../core/model.js';
import { canOnKeysOf } from '../core/permissions.js';
import { updateKey as updateKeyRow } from '../store/repos/keys.js';
import { loadApplication } from './applications.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { assertAccountAccess, forbid } from './guards.js';
import { assertGrantable, draftKey, insertKeyWithinLimit } from './key-issue.js';
import { loadKeyFor } from './keys.js';

export const MAX_OVERLAP_SECONDS = 30 * 86_400;

/**
 * Rotation: a new key with exactly the old key's access (kind, application, scopes, roles,
 * expiry), and the old key kept working for an overlap window so callers can switch without
 * downtime. An overlap of 0 revokes the old key at once. Access is never widened: the
 * rotating user must be able to grant every scope the old key holds.
 */
export async function rotateKey(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  keyId: string,
  input: { overlapSeconds: number; name?: string | undefined },
): Promise<{ key: AccessKey; secret: string; previous: AccessKey }> {
  const p = actor.principal;
  const account = await assertAccountAccess(ctx, p, accountId);
  if (p.isOperator) forbid('Access keys belong to the user who creates them: sign in as an account user.');
  const old = await loadKeyFor(ctx, p, accountId, keyId, 'revoke');
  if (old.applicationId !== null) {
    const app = await loadApplication(ctx, accountId, old.applicationId);
    if (!canOnKeysOf(p, 'create', app.createdBy)) forbid('Rotating needs both the create and revoke key permissions.');
    if (app.status === 'revoked') throw new KeywardError('APPLICATION_REVOKED');
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
  });
  const overlapEnd = now + input.overlapSeconds * 1000;
  const previous: AccessKey =
    input.overlapSeconds === 0
      ? { ...old, status: 'revoked', revokedAt: now, updatedAt: now }
      : { ...old, expiresAt: Math.min(old.expiresAt ?? Number.POSITIVE_INFINITY, overlapEnd), updatedAt: now };
  await ctx.store.transaction(async (tx) => {
    // The old key is superseded, so it does not count against the limit for its successor.
    await insertKeyWithinLimit(tx, account, key, secret, now, 1);
    await updateKeyRow(
      tx,
      old.id,
      input.overlapSeconds === 0
        ? { status: 'revoked', revokedAt: now, updatedAt: now }
        : { expiresAt: previous.expiresAt, updatedAt: now },
    );
    await audit(ctx, tx, actor, {
      accountId,
      action: 'key.rotate',
      targetType: 'key',
      targetId: key.id,
      details: { fromKeyId: old.id, overlapSeconds: input.overlapSeconds, previousExpiresAt: previous.expiresAt },
    });
  });
  ctx.changes.publish({ type: 'key', keyId: old.id });
  ctx.changes.publish({ type: 'key', keyId: key.id, keyHash: hashSecret(secret) });
  return { key, secret, previous };
}
