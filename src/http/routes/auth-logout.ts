import { bearerToken } from '../../auth/bearer.js';
import { logout } from '../../auth/session.js';
import type { Runtime } from '../../compose.js';
import { authorize } from '../../service/guards.js';
import { BEARER_ERRORS, BODY_ERRORS, errors, Ok } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerLogout(app: App, ctx: Runtime) {
  app.post(
    '/v1/auth/logout',
    {
      schema: {
        tags: ['auth'],
        operationId: 'logout',
        summary: 'End the current session',
        description:
          'A signed-in user, with the live session to end: a token that is not a live session (unknown, expired or already ended) is 401 UNAUTHORIZED like on every bearer route, and an access key is 403 SESSION_REQUIRED (401 without management scopes). Other sessions of the user stay; see /v1/auth/logout-all. Takes no body.',
        security: BEARER,
        response: { 200: Ok, ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'SESSION_REQUIRED']) },
      },
    },
    async (req) => {
      authorize(await actorOf(ctx, req), { session: true });
      // actorOf found a live session behind this very token.
      await logout(ctx, bearerToken(req.headers.authorization) as string);
      return { ok: true as const };
    },
  );
}
