import type { Runtime } from '../../compose.js';
import { getUser } from '../../service/users.js';
import { BEARER_ERRORS, errors, INPUT_ERRORS, UserOut, UserParams, userOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerGetUser(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/users/:userId',
    {
      schema: {
        tags: ['users'],
        operationId: 'getUser',
        summary: 'Get a user',
        description:
          'As listing users (admins, the operator, members holding `users.view`, through a session), and any user reading themselves. A deleted user, or one of another account, is 404 USER_NOT_FOUND.',
        security: BEARER,
        params: UserParams,
        response: {
          200: UserOut,
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'SESSION_REQUIRED', 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'USER_NOT_FOUND']),
        },
      },
    },
    async (req) => userOut(await getUser(ctx, await actorOf(ctx, req), req.params.accountId, req.params.userId)),
  );
}
