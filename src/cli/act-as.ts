import { compose, type Runtime } from '../compose.js';
import { loadConfig } from '../config.js';
import { KeywardError } from '../core/errors.js';
import { sessionPrincipal } from '../core/rights.js';
import { bootstrapOperator } from '../service/bootstrap.js';
import type { Actor } from '../service/context.js';
import { findLiveUserByEmail, findOperatorEmail } from '../store/repos/users.js';

/**
 * The CLI runs next to the store, so it may act as any user: as the operator when
 * `email` is null, else as the named user with exactly that user's rights.
 */
export async function actAs(ctx: Runtime, email: string | null): Promise<Actor> {
  if (email === null) {
    const operator = await findOperatorEmail(ctx.store.db);
    if (operator === undefined) throw new KeywardError('USER_NOT_FOUND', 'No operator exists yet: run `keyward serve` once.');
    return actAs(ctx, operator);
  }
  const found = await findLiveUserByEmail(ctx.store.db, email.toLowerCase());
  if (!found) throw new KeywardError('USER_NOT_FOUND', `No user ${email}.`);
  return { principal: sessionPrincipal(found.user, ctx.catalogue, null), ip: 'cli' };
}

/**
 * Opens the configured store, runs one command, prints its JSON result and closes. The master
 * key is loaded only if the command seals or opens a secret, so commands that touch none never
 * create a key file.
 */
export async function withKeyward(fn: (ctx: Runtime) => Promise<unknown>): Promise<void> {
  const composed = await compose(loadConfig(), { masterKey: 'on-first-use' });
  try {
    const ctx = composed.ctx;
    const boot = await bootstrapOperator(ctx);
    if (boot?.generatedPassword) {
      process.stderr.write(`Operator created: ${boot.email}, generated password (shown once): ${boot.generatedPassword}\n`);
    }
    process.stdout.write(`${JSON.stringify(await fn(ctx), null, 2)}\n`);
  } finally {
    await composed.close();
  }
}
