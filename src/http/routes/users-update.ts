import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { updateUser } from '../../service/users.js';
import { BEARER_ERRORS, BODY_ERRORS, errors, Name, Password, UserOut, UserParams, userOut } from '../schemas.js';
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
        operationId: 'updateUser',
        summary: "Change a user's name, password, admin flag, permissions or API scopes",
        description:
          'Users may change their own name and password (with `currentPassword`: missing is 400 CURRENT_PASSWORD_REQUIRED, wrong is 403 CURRENT_PASSWORD_WRONG, and attempts count against the sign-in throttle, 429 RATE_LIMITED); everything else needs an admin or the operator (403 FORBIDDEN). ' +
          "A new password ends the user's other sessions (all of them when an admin sets it). Removing the account's last admin is 409 LAST_ADMIN. Needs a session: access keys get 403 SESSION_REQUIRED.",
        security: BEARER,
        params: UserParams,
        body: Body,
        response: {
          200: UserOut,
          ...errors([
            ...BODY_ERRORS,
            ...BEARER_ERRORS,
            'SESSION_REQUIRED',
            'FORBIDDEN',
            'ACCOUNT_NOT_FOUND',
            'USER_NOT_FOUND',
            'CURRENT_PASSWORD_REQUIRED',
            'CURRENT_PASSWORD_WRONG',
            'RATE_LIMITED',
            'UNKNOWN_SCOPE',
            'LAST_ADMIN',
          ]),
        },
      },
    },
    async (req) => userOut(await updateUser(ctx, await actorOf(ctx, req), req.params.accountId, req.params.userId, req.body)),
  );
}
