import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { pageUsers } from '../../service/users.js';
import { USER_SORTS } from '../../store/repos/users.js';
import { afterOf, listQuery, nextCursorOf } from '../cursor.js';
import { AccountParams, BEARER_ERRORS, errors, INPUT_ERRORS, UserOut, userOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Query = listQuery(['created', 'name', 'email'], 'the name, the email or the user ID').extend({
  role: z.enum(['admin', 'member']).optional().describe('Only admins, or only members'),
});

export function registerListUsers(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/users',
    {
      schema: {
        tags: ['users'],
        operationId: 'listUsers',
        summary: "List the account's users",
        description:
          'Admins, the operator, and members holding `users.view`, through a session (access keys get 403 SESSION_REQUIRED: no key can read who the people are). Live users only, oldest first unless `sort`/`order` say otherwise; `role` and `q` filter. With `limit`, pages: pass `nextCursor` back as `cursor` with the same `sort` and `order`.',
        security: BEARER,
        params: AccountParams,
        querystring: Query,
        response: {
          200: z.object({
            users: z.array(UserOut),
            nextCursor: z
              .string()
              .nullable()
              .describe('Opaque; pass as `cursor` (with the same `sort` and `order`) for the next page. Null: no more items.'),
          }),
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'SESSION_REQUIRED', 'FORBIDDEN', 'ACCOUNT_NOT_FOUND']),
        },
      },
    },
    async (req) => {
      const query = req.query;
      const page = await pageUsers(ctx, await actorOf(ctx, req), req.params.accountId, {
        role: query.role,
        q: query.q || undefined,
        sort: query.sort,
        paging: { limit: query.limit, order: query.order, after: afterOf(query, USER_SORTS[query.sort].numeric) },
      });
      return { users: page.items.map(userOut), nextCursor: nextCursorOf(page.next, query) };
    },
  );
}
