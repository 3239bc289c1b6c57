import type { Runtime } from '../../compose.js';
import { deleteUser } from '../../service/users.js';
import { errorResponses, Ok, UserParams } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerDeleteUser(app: App, ctx: Runtime) {
  app.delete(
    '/v1/accounts/:accountId/users/:userId',
    {
      schema: {
        tags: ['users'],
        summary: 'Delete a user (admins)',
        description: 'The applications and access keys this user created stop working (verification answers DISABLED).',
        security: BEARER,
        params: UserParams,
        response: { 200: Ok, ...errorResponses },
      },
    },
    async (req) => {
      await deleteUser(ctx, await actorOf(ctx, req), req.params.accountId, req.params.userId);
      return { ok: true as const };
    },
  );
}
