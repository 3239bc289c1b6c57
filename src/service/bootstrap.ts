import { newId, randomBase62 } from '../core/ids.js';
import type { User } from '../core/model.js';
import { hashPassword } from '../core/password.js';
import { countUsers, insertUser } from '../store/repos/users.js';
import type { Ctx } from './context.js';

/**
 * On first start with an empty store, create the operator. The password comes from
 * KEYWARD_BOOTSTRAP_PASSWORD or is generated and returned so the caller can print it once.
 */
export async function bootstrapOperator(ctx: Ctx): Promise<{ email: string; generatedPassword: string | null } | null> {
  if ((await countUsers(ctx.store.db)) > 0) return null;
  const email = (ctx.config.bootstrapEmail ?? 'operator@keyward.local').toLowerCase();
  const generated = ctx.config.bootstrapPassword ? null : randomBase62(24);
  const password = ctx.config.bootstrapPassword ?? (generated as string);
  const operator: User = {
    id: newId('user'),
    accountId: null,
    email,
    name: 'Operator',
    isOperator: true,
    isAdmin: false,
    permissions: [],
    apiScopes: [],
    createdAt: ctx.now(),
    deletedAt: null,
  };
  await insertUser(ctx.store.db, operator, await hashPassword(password));
  return { email, generatedPassword: generated };
}
