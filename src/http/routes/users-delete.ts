import type { Runtime } from '../../compose.js';
import { deleteUser } from '../../service/users.js';
import { BEARER_ERRORS, BODY_ERRORS, errors, Ok, UserParams } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerDeleteUser(app: App, ctx: Runtime) {
  app.delete(
    '/v1/accounts/:accountId/users/:userId',
    {
      schema: {
        tags: ['users'],
        operationId: 'deleteUser',
        summary: 'Delete a user (admins)',
        description:
          "Admins and the operator, through a session (access keys get 403 SESSION_REQUIRED). Not yourself (409 CANNOT_DELETE_SELF), and an account keeps at least one admin (409 LAST_ADMIN). The user's sessions end, and the applications and access keys this user created stop working (verification answers DISABLED).",
        security: BEARER,
        params: UserParams,
        response: {
          200: Ok,
          ...errors([
            ...BODY_ERRORS,
            ...BEARER_ERRORS,
            'SESSION_REQUIRED',
            'FORBIDDEN',
            'ACCOUNT_NOT_FOUND',
            'USER_NOT_FOUND',
            'CANNOT_DELETE_SELF',
            'LAST_ADMIN',
          ]),
        },
      },
    },
    async (req) => {
      await deleteUser(ctx, await actorOf(ctx, req), req.params.accountId, req.params.userId);
      return { ok: true as const };
    },
  );
}
