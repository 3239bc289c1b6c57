import { newId, randomBase62 } from '../core/ids.js';
import type { User } from '../core/model.js';
import { hashPassword, verifyPassword } from '../core/password.js';
import { countUsers, findLiveUserByEmail, findOperatorEmail, insertUser } from '../store/repos/users.js';
import type { Ctx } from './context.js';

/**
 * On first start with an empty store, create the operator. The password comes from
 * KEYWARD_BOOTSTRAP_PASSWORD or is generated and returned so the caller can print it once.
 * Null when the store has users already, or another node created the operator meanwhile.
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
  try {
    await insertUser(ctx.store.db, operator, await hashPassword(password));
  } catch (e) {
    // Nodes of a fleet starting at once on an empty store all see no users: one creates the
    // operator, the others find its email taken and start as if it had been there before.
    if (ctx.store.isUniqueViolation(e)) return null;
    throw e;
  }
  return { email, generatedPassword: generated };
}

/**
 * When the store already has users, the bootstrap settings do nothing. Says so when they were
 * given and do not describe the existing operator (another email, or a password that does not
 * match), so a walkthrough's sign-in failing with INVALID_CREDENTIALS is explained at start.
 */
export async function ignoredBootstrapWarning(ctx: Ctx): Promise<string | null> {
  const { bootstrapEmail, bootstrapPassword } = ctx.config;
  if (bootstrapEmail === undefined && bootstrapPassword === undefined) return null;
  const operator = await findOperatorEmail(ctx.store.db);
  if (operator === undefined) return null;
  const email = bootstrapEmail?.toLowerCase();
  let differs: string | null = null;
  if (email !== undefined && email !== operator) differs = `the operator is ${operator}, not ${email}`;
  else if (bootstrapPassword !== undefined) {
    const found = await findLiveUserByEmail(ctx.store.db, operator);
    if (found && !(await verifyPassword(bootstrapPassword, found.passwordHash))) {
      differs = `KEYWARD_BOOTSTRAP_PASSWORD is not ${operator}'s password`;
    }
  }
  if (differs === null) return null;
  return `KEYWARD_BOOTSTRAP_EMAIL/KEYWARD_BOOTSTRAP_PASSWORD are IGNORED: the store already has users (${differs}). They only act on an empty store: to start fresh, stop Keyward and delete the data (${ctx.config.databaseUrl.startsWith('sqlite:') ? ctx.config.dataDir : 'the database'}), or point KEYWARD_DATA_DIR elsewhere.`;
}
