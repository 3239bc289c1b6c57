import { KeywardError } from '../core/errors.js';
import { newCustomerId, newId } from '../core/ids.js';
import type { Account, User } from '../core/model.js';
import { hashPassword } from '../core/password.js';
import {
  type AccountUsageRow,
  accountUsageRows,
  customerIdTaken,
  findAccount,
  insertAccount,
  listAccounts as listAccountRows,
  updateAccount,
} from '../store/repos/accounts.js';
import { deleteQuotaCounter } from '../store/repos/quotas.js';
import { insertUser, liveEmailTaken } from '../store/repos/users.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { authorize, authorizeOn } from './guards.js';
import { assertPlan, currentRemaining, type LimitsPatch, quotaSpec, startQuotaCounter, storedCounters } from './limits.js';
import { HOUR_MS } from './usage-recorder.js';

export interface CreateAccountInput {
  name: string;
  customerId?: string | undefined;
  maxApplications?: number | undefined;
  maxKeysPerApplication?: number | undefined;
  /** A plan of the catalogue (400 UNKNOWN_PLAN otherwise); its quota is granted as PATCH grants it. */
  plan?: string | null | undefined;
  admin: { email: string; name: string; password: string };
}

/** The operator creates an account together with its first admin, atomically. */
export async function createAccount(ctx: Ctx, actor: Actor, input: CreateAccountInput): Promise<{ account: Account; admin: User }> {
  authorize(actor, { operatorOnly: true });
  const plan = input.plan ?? null;
  assertPlan(ctx, plan);
  const now = ctx.now();
  const planQuota = plan === null ? null : (ctx.catalogue.plans.get(plan)?.quota ?? null);
  const quota = planQuota === null ? null : quotaSpec(planQuota, null, now);
  const account: Account = {
    id: newId('account'),
    customerId: input.customerId ?? newCustomerId(),
    name: input.name,
    maxApplications: input.maxApplications ?? ctx.config.defaultMaxApplications,
    maxKeysPerApplication: input.maxKeysPerApplication ?? ctx.config.defaultMaxKeysPerApplication,
    createdAt: now,
    ratelimits: [],
    quota,
    plan,
  };
  const admin: User = {
    id: newId('user'),
    accountId: account.id,
    email: input.admin.email.toLowerCase(),
    name: input.admin.name,
    isOperator: false,
    isAdmin: true,
    permissions: [],
    apiScopes: [],
    createdAt: now,
    deletedAt: null,
  };
  const passwordHash = await hashPassword(input.admin.password);
  await ctx.store.transaction(async (tx) => {
    if (await customerIdTaken(tx, account.customerId)) throw new KeywardError('CUSTOMER_ID_TAKEN');
    if (await liveEmailTaken(tx, admin.email)) throw new KeywardError('EMAIL_TAKEN');
    await insertAccount(tx, account);
    if (quota) await startQuotaCounter(tx, account.id, quota, now);
    await insertUser(tx, admin, passwordHash);
    await audit(ctx, tx, actor, { accountId: account.id, action: 'account.create', targetId: account.id });
    if (plan !== null) {
      // Audited as PATCH audits a plan change: the limits set, and what the account had before (nothing).
      await audit(ctx, tx, actor, {
        accountId: account.id,
        action: 'account.set_limits',
        targetId: account.id,
        details: { plan, ...(quota && { quota }), previous: { ratelimits: [], quota: null, plan: null } },
      });
    }
    await audit(ctx, tx, actor, {
      accountId: account.id,
      action: 'user.create',
      targetId: admin.id,
      details: { isAdmin: true },
    });
  });
  return { account: await withAccountRemaining(ctx, account), admin };
}

export async function listAccounts(ctx: Ctx, actor: Actor): Promise<Account[]> {
  if (actor.principal.isOperator) return listAccountRows(ctx.store.db);
  const own = actor.principal.accountId ? await findAccount(ctx.store.db, actor.principal.accountId) : undefined;
  return own ? [own] : [];
}

export async function getAccount(ctx: Ctx, actor: Actor, accountId: string): Promise<Account> {
  return withAccountRemaining(ctx, await authorizeOn(ctx, actor, accountId, {}));
}

export async function updateAccountSettings(
  ctx: Ctx,
  actor: Actor,
  accountId: string,
  patch: {
    name?: string | undefined;
    maxApplications?: number | undefined;
    maxKeysPerApplication?: number | undefined;
    plan?: string | null | undefined;
  } & LimitsPatch,
): Promise<Account> {
  const account = await authorizeOn(ctx, actor, accountId, { operatorOnly: true });
  const { ratelimits, quota, plan, ...settings } = patch;
  assertPlan(ctx, plan);
  const now = ctx.now();
  // A plan brings its quota when the account has none of its own given in the same change.
  const planQuota = plan != null && quota === undefined ? (ctx.catalogue.plans.get(plan)?.quota ?? undefined) : undefined;
  const quotaInput = quota !== undefined ? quota : planQuota;
  const newQuota = quotaInput === undefined ? undefined : quotaInput === null ? null : quotaSpec(quotaInput, account.quota, now);
  const limits = {
    ...(ratelimits !== undefined && { ratelimits }),
    ...(newQuota !== undefined && { quota: newQuota }),
    ...(plan !== undefined && { plan }),
  };
  const limitsChange = Object.keys(limits).length > 0;
  await ctx.store.transaction(async (tx) => {
    await updateAccount(tx, accountId, { ...settings, ...limits });
    if (newQuota) await startQuotaCounter(tx, accountId, newQuota, now);
    if (newQuota === null) await deleteQuotaCounter(tx, accountId);
    if (Object.keys(settings).length > 0 || !limitsChange) {
      await audit(ctx, tx, actor, { accountId, action: 'account.update', targetId: accountId, details: settings });
    }
    if (limitsChange) {
      const previous = { ratelimits: account.ratelimits, quota: account.quota, plan: account.plan };
      await audit(ctx, tx, actor, { accountId, action: 'account.set_limits', targetId: accountId, details: { ...limits, previous } });
    }
  });
  // Every key of the account carries its limits in the verification caches.
  if (limitsChange) ctx.changes.publish({ type: 'account', accountId });
  // Exactly what updateAccount wrote.
  return withAccountRemaining(ctx, { ...account, ...settings, ...limits });
}

/** The account with the credits left on its quota, as last written. */
export async function withAccountRemaining(ctx: Ctx, account: Account): Promise<Account & { quotaRemaining?: number }> {
  if (account.quota === null) return account;
  const counters = await storedCounters(ctx, [account.id]);
  return { ...account, quotaRemaining: currentRemaining(account.quota, counters.get(account.id), ctx.now()) };
}

/** How far back the operator's account overview counts uses: the last 7 days, from the start of an hour. */
export const ACCOUNT_USAGE_DAYS = 7;

/**
 * Every account's size (live users, active applications and keys, devices) and its uses and
 * refusals over the last 7 days: the operator alone. Buffered uses are flushed first.
 */
export async function listAccountUsage(ctx: Ctx, actor: Actor): Promise<{ since: number; accounts: AccountUsageRow[] }> {
  authorize(actor, { operatorOnly: true });
  const now = ctx.now();
  const since = Math.floor((now - ACCOUNT_USAGE_DAYS * 24 * HOUR_MS) / HOUR_MS) * HOUR_MS;
  await ctx.usage.flush();
  return { since, accounts: await accountUsageRows(ctx.store.db, now, since) };
}
