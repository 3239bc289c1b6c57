import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { signOutEverywhere } from '../../service/sessions.js';
import { errorResponses } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Out = z.object({ ok: z.literal(true), sessionsEnded: z.number().int() });

export function registerLogoutAll(app: App, ctx: Runtime) {
  app.post(
    '/v1/auth/logout-all',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign out everywhere: end every session of the signed-in user, this one included',
        description: 'Needs a session: access keys get 403 SESSION_REQUIRED (or 401 without management scopes).',
        security: BEARER,
        response: { 200: Out, ...errorResponses },
      },
    },
    async (req) => ({ ok: true as const, ...(await signOutEverywhere(ctx, await actorOf(ctx, req))) }),
  );
}
