import { KeywardError } from '../core/errors.js';
import { newId, randomBase62 } from '../core/ids.js';
import { hashSecret } from '../core/key-format.js';
import type { User } from '../core/model.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../core/password.js';
import { deleteSession, findSession, insertSession } from '../store/repos/sessions.js';
import { findLiveUserByEmail, findUser } from '../store/repos/users.js';
import type { AuthCtx } from './context.js';

/** Dashboard session tokens: `kws_` + 40 base62 characters, stored only as SHA-256. */
export const SESSION_PREFIX = 'kws_';

/** Signs in from `address` (the client's IP), through the sign-in throttle (login-throttle.ts). */
export async function login(
  ctx: AuthCtx,
  rawEmail: string,
  password: string,
  address: string,
): Promise<{ token: string; expiresAt: number; user: User }> {
  const email = rawEmail.toLowerCase();
  let found: Awaited<ReturnType<typeof findLiveUserByEmail>>;
  const ok = await ctx.loginThrottle.checkPassword(email, address, ctx.now, async () => {
    found = await findLiveUserByEmail(ctx.store.db, email);
    // Hash even for unknown emails so response time does not reveal which emails exist.
    const matches = await verifyPassword(password, found?.passwordHash ?? DUMMY_PASSWORD_HASH);
    return found !== undefined && matches;
  });
  if (!ok || !found) throw new KeywardError('INVALID_CREDENTIALS');
  const token = SESSION_PREFIX + randomBase62(40);
  const now = ctx.now();
  const expiresAt = now + ctx.config.sessionTtlMs;
  await insertSession(ctx.store.db, {
    id: newId('session'),
    tokenHash: hashSecret(token),
    userId: found.user.id,
    createdAt: now,
    expiresAt,
  });
  return { token, expiresAt, user: found.user };
}

export async function logout(ctx: AuthCtx, token: string): Promise<void> {
  await deleteSession(ctx.store.db, hashSecret(token));
}

/** The live user behind a session token and the session's id, or undefined when the token is unknown, expired or its user deleted. */
export async function sessionUser(ctx: AuthCtx, token: string): Promise<{ user: User; sessionId: string } | undefined> {
  const session = await findSession(ctx.store.db, hashSecret(token));
  if (!session || session.expires_at <= ctx.now()) return undefined;
  const user = await findUser(ctx.store.db, session.user_id);
  return user && user.deletedAt === null ? { user, sessionId: session.id } : undefined;
}
