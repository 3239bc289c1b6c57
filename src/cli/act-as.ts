import { loadConfig } from '../config.js';
import { KeywardError } from '../core/errors.js';
import { sessionPrincipal } from '../core/rights.js';
import { SecretBox } from '../crypto/secret-box.js';
import { loadCheckedMasterKey } from '../server.js';
import { bootstrapOperator } from '../service/bootstrap.js';
import { type Actor, type Ctx, createContext } from '../service/context.js';
import { findLiveUserByEmail, findOperatorEmail } from '../store/repos/users.js';
import { openStore } from '../store/store.js';

/**
 * The CLI runs next to the store, so it may act as any user: as the operator when
 * `email` is null, else as the named user with exactly that user's rights.
 */
export async function actAs(ctx: Ctx, email: string | null): Promise<Actor> {
  if (email === null) {
    const operator = await findOperatorEmail(ctx.store.db);
    if (operator === undefined) throw new KeywardError('USER_NOT_FOUND', 'No operator exists yet: run `keyward serve` once.');
    return actAs(ctx, operator);
  }
  const found = await findLiveUserByEmail(ctx.store.db, email.toLowerCase());
  if (!found) throw new KeywardError('USER_NOT_FOUND', `No user ${email}.`);
  return { principal: sessionPrincipal(found.user, ctx.catalogue, null), ip: 'cli' };
}

/** Opens the configured store, runs one command, prints its JSON result and closes. */
export async function withKeyward(fn: (ctx: Ctx) => Promise<unknown>): Promise<void> {
  const config = loadConfig();
  const store = openStore(config.databaseUrl, {
    statementTimeoutMs: config.dbStatementTimeoutMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
  });
  try {
    await store.migrate();
    const ctx = createContext(store, config, new SecretBox((await loadCheckedMasterKey(store, config)).key));
    const boot = await bootstrapOperator(ctx);
    if (boot?.generatedPassword) {
      process.stderr.write(`Operator created: ${boot.email}, generated password (shown once): ${boot.generatedPassword}\n`);
    }
    process.stdout.write(`${JSON.stringify(await fn(ctx), null, 2)}\n`);
  } finally {
    await store.close();
  }
}
