import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { PERMISSIONS } from '../../core/permissions.js';
import { createUser } from '../../service/users.js';
import { AccountParams, BEARER_ERRORS, BODY_ERRORS, Email, errors, Name, Password, UserOut, userOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export const UserRights = {
  isAdmin: z.boolean().optional().describe('Admins hold every permission and scope and manage users'),
  permissions: z.array(z.enum(PERMISSIONS)).max(PERMISSIONS.length).optional(),
  apiScopes: z.array(z.string().min(1).max(100)).max(200).optional().describe('Catalogue scopes or roles this user may grant to keys'),
};

const Body = z.object({ email: Email, name: Name, password: Password, ...UserRights });

export function registerCreateUser(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/users',
    {
      schema: {
        tags: ['users'],
        operationId: 'createUser',
        summary: 'Create a user in the account (admins)',
        description:
          'Account admins and the operator, through a session: access keys get 403 SESSION_REQUIRED, members 403 FORBIDDEN. The email must be free among live users (409 EMAIL_TAKEN); `apiScopes` must name catalogue scopes or roles (400 UNKNOWN_SCOPE).',
        security: BEARER,
        params: AccountParams,
        body: Body,
        response: {
          201: UserOut,
          ...errors([
            ...BODY_ERRORS,
            ...BEARER_ERRORS,
            'SESSION_REQUIRED',
            'FORBIDDEN',
            'ACCOUNT_NOT_FOUND',
            'UNKNOWN_SCOPE',
            'EMAIL_TAKEN',
          ]),
        },
      },
    },
    async (req, reply) => reply.status(201).send(userOut(await createUser(ctx, await actorOf(ctx, req), req.params.accountId, req.body))),
  );
}
