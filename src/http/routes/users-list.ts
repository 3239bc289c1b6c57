import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listUsers } from '../../service/users.js';
import { AccountParams, errorResponses, UserOut, userOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerListUsers(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/users',
    {
      schema: {
        tags: ['users'],
        summary: "List the account's users",
        security: BEARER,
        params: AccountParams,
        response: { 200: z.object({ users: z.array(UserOut) }), ...errorResponses },
      },
    },
    async (req) => ({ users: (await listUsers(ctx, await actorOf(ctx, req), req.params.accountId)).map(userOut) }),
  );
}
