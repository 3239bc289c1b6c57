import { assertCaller, assertWithin, mayEnter, type Need } from '../core/access.js';
import { KeywardError } from '../core/errors.js';
import type { Account } from '../core/model.js';
import { findAccount } from '../store/repos/accounts.js';
import type { Actor, Ctx } from './context.js';

export type { Need } from '../core/access.js';

/**
 * The one permission guard of every operation inside an account: checks what the operation
 * needs (core/access.ts) in one order and returns the account, read once. Tenancy: a
 * customer user sees only their own account, and another account's ids answer exactly as ids
 * that do not exist (404), so nothing can be enumerated.
 */
export async function authorizeOn(ctx: Ctx, actor: Actor, accountId: string, need: Need): Promise<Account> {
  const p = actor.principal;
  assertCaller(p, need);
  if (!mayEnter(p, accountId)) throw new KeywardError('ACCOUNT_NOT_FOUND');
  const account = await findAccount(ctx.store.db, accountId);
  if (!account) throw new KeywardError('ACCOUNT_NOT_FOUND');
  assertWithin(p, need);
  return account;
}

/** The guard of the few operations outside any one account (creating an account, signing out everywhere). */
export function authorize(actor: Actor, need: Pick<Need, 'session' | 'operatorOnly'>): void {
  assertCaller(actor.principal, need);
}
