import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listUsers } from '../../service/users.js';
import { AccountParams, BEARER_ERRORS, errors, INPUT_ERRORS, UserOut, userOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerListUsers(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/users',
    {
      schema: {
        tags: ['users'],
        operationId: 'listUsers',
        summary: "List the account's users",
        description:
          'Admins, the operator, and members holding `users.view`, through a session (access keys get 403 SESSION_REQUIRED: no key can read who the people are). Live users only, oldest first.',
        security: BEARER,
        params: AccountParams,
        response: {
          200: z.object({ users: z.array(UserOut) }),
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'SESSION_REQUIRED', 'FORBIDDEN', 'ACCOUNT_NOT_FOUND']),
        },
      },
    },
    async (req) => ({ users: (await listUsers(ctx, await actorOf(ctx, req), req.params.accountId)).map(userOut) }),
  );
}
