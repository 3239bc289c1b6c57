import { KeywardError } from '../core/errors.js';
import type { AccessKey } from '../core/model.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { assertAccountAccess, forbid } from './guards.js';
import { draftKey, insertKeyWithinLimit } from './key-issue.js';
import { assertGrantable, type CreateKeyInput, resolveScopes } from './keys.js';

/**
 * A customer key belongs to the account rather than to an application (Senet's billing
 * keys). Only account admins create them, only with scopes the catalogue opens to
 * customer keys, and at most `maxKeysPerApplication` live ones per account: the account
 * is, for these keys, what the application is for application keys.
 */
export async function createCustomerKey(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  input: CreateKeyInput,
): Promise<{ key: AccessKey; secret: string }> {
  const p = actor.principal;
  const account = await assertAccountAccess(ctx, p, accountId);
  if (p.isOperator) forbid('Access keys belong to the user who creates them: sign in as an account admin.');
  if (!p.isAdmin) forbid('Customer keys are managed by account admins.');
  const now = ctx.now();
  if (input.expiresAt != null && input.expiresAt <= now) throw new KeywardError('EXPIRY_IN_PAST');
  const { scopes, roles } = resolveScopes(ctx, input.scopes, 'customer');
  assertGrantable(p, scopes);

  const { key, secret } = draftKey(ctx, {
    accountId,
    applicationId: null,
    kind: 'customer',
    name: input.name,
    description: input.description ?? '',
    scopes,
    roles,
    expiresAt: input.expiresAt ?? null,
    createdBy: p.userId,
  });
  await ctx.store.transaction(async (tx) => {
    await insertKeyWithinLimit(tx, account, key, secret, now);
    await audit(ctx, tx, actor, {
      accountId,
      action: 'key.create',
      targetType: 'key',
      targetId: key.id,
      details: { kind: 'customer', scopes, expiresAt: key.expiresAt },
    });
  });
  return { key, secret };
}
