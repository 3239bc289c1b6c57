import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { updateUser } from '../../service/users.js';
import { ErrorBody, errorResponses, Name, Password, UserOut, UserParams, userOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';
import { UserRights } from './users-create.js';

const Body = z.object({
  name: Name.optional(),
  password: Password.optional(),
  currentPassword: z.string().min(1).max(200).optional().describe('Your current password: required when you change your own password'),
  ...UserRights,
});

export function registerUpdateUser(app: App, ctx: Runtime) {
  app.patch(
    '/v1/accounts/:accountId/users/:userId',
    {
      schema: {
        tags: ['users'],
        summary: "Change a user's name, password, admin flag, permissions or API scopes",
        description:
          'Users may change their own name and password (with `currentPassword`); everything else needs an admin. ' +
          "A new password ends the user's other sessions (all of them when an admin sets it). Needs a session: access keys get 403 SESSION_REQUIRED.",
        security: BEARER,
        params: UserParams,
        body: Body,
        response: { 200: UserOut, ...errorResponses, 429: ErrorBody },
      },
    },
    async (req) => userOut(await updateUser(ctx, await actorOf(ctx, req), req.params.accountId, req.params.userId, req.body)),
  );
}
