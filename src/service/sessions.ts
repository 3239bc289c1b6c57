import { deleteUserSessions } from '../store/repos/sessions.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { authorize } from './guards.js';

/** "Sign out everywhere": ends every session of the caller, the one making the request included. */
export async function signOutEverywhere(ctx: Ctx, actor: Actor): Promise<{ sessionsEnded: number }> {
  authorize(actor, { session: true });
  const { userId, accountId } = actor.principal;
  return ctx.store.transaction(async (tx) => {
    const sessionsEnded = await deleteUserSessions(tx, userId);
    await audit(ctx, tx, actor, {
      accountId,
      action: 'user.sign_out_everywhere',
      targetId: userId,
      details: { sessionsEnded },
    });
    return { sessionsEnded };
  });
}
