import { KeywardError } from '../core/errors.js';
import type { Account } from '../core/model.js';
import type { Principal } from '../core/permissions.js';
import { findAccount } from '../store/repos/accounts.js';
import type { Ctx } from './context.js';

/**
 * Tenancy boundary: a customer user sees only their own account, and another account's
 * ids answer exactly as ids that do not exist (404), so nothing can be enumerated.
 */
export async function assertAccountAccess(ctx: Ctx, p: Principal, accountId: string): Promise<Account> {
  if (!p.isOperator && p.accountId !== accountId) throw new KeywardError('ACCOUNT_NOT_FOUND');
  const account = await findAccount(ctx.store.db, accountId);
  if (!account) throw new KeywardError('ACCOUNT_NOT_FOUND');
  return account;
}

export function requireOperator(p: Principal): void {
  if (!p.isOperator) throw new KeywardError('FORBIDDEN', 'Only the operator can do this.');
}

export function requireAdmin(p: Principal): void {
  if (!p.isOperator && !p.isAdmin) throw new KeywardError('FORBIDDEN', 'Only account admins can do this.');
}

/**
 * People, passwords and sessions are managed only by a user acting directly (a dashboard
 * session, or the CLI next to the store), never through an access key: a leaked key must
 * not be able to take over the account of the user who created it.
 */
export function requireSession(p: Principal): void {
  if (p.viaKeyId !== null) throw new KeywardError('SESSION_REQUIRED', 'This operation needs a signed-in user session, not an access key.');
}

export function forbid(message: string): never {
  throw new KeywardError('FORBIDDEN', message);
}
