import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { signOutEverywhere } from '../../service/sessions.js';
import { BEARER_ERRORS, BODY_ERRORS, errors } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Out = z.object({ ok: z.literal(true), sessionsEnded: z.number().int() });

export function registerLogoutAll(app: App, ctx: Runtime) {
  app.post(
    '/v1/auth/logout-all',
    {
      schema: {
        tags: ['auth'],
        operationId: 'logoutAll',
        summary: 'Sign out everywhere: end every session of the signed-in user, this one included',
        description:
          'Any signed-in user, with a live session: access keys get 403 SESSION_REQUIRED (or 401 UNAUTHORIZED without management scopes). Ends every session of the caller, the one making the request included; `sessionsEnded` counts them. Takes no body.',
        security: BEARER,
        response: { 200: Out, ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'SESSION_REQUIRED']) },
      },
    },
    async (req) => ({ ok: true as const, ...(await signOutEverywhere(ctx, await actorOf(ctx, req))) }),
  );
}
