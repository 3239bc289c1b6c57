import type { Runtime } from '../../compose.js';
import { getUser } from '../../service/users.js';
import { errorResponses, UserOut, UserParams, userOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerGetUser(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/users/:userId',
    {
      schema: {
        tags: ['users'],
        summary: 'Get a user',
        security: BEARER,
        params: UserParams,
        response: { 200: UserOut, ...errorResponses },
      },
    },
    async (req) => userOut(await getUser(ctx, await actorOf(ctx, req), req.params.accountId, req.params.userId)),
  );
}
