import type { AccessKey } from '../core/model.js';
import type { Actor, Ctx } from './context.js';
import { authorizeOn } from './guards.js';
import { type CreateKeyInput, issueKey } from './key-issue.js';

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
  const account = await authorizeOn(ctx, actor, accountId, { creates: 'customer_key', right: 'customer_keys.manage' });
  return issueKey(ctx, actor, account, { applicationId: null, kind: 'customer' }, input);
}
