import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { pageApplications } from '../../service/applications.js';
import { APPLICATION_SORTS } from '../../store/repos/applications.js';
import { afterOf, listQuery, nextCursorOf } from '../cursor.js';
import { AccountParams, ApplicationOut, applicationOut, BEARER_ERRORS, errors, INPUT_ERRORS, IncludeQuery } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Query = listQuery(['created', 'name'], 'the name, the description or the application ID').extend({
  ...IncludeQuery.shape,
  status: z.enum(['active', 'disabled', 'revoked']).optional().describe('Only applications in this state (overrides `include`)'),
});

export function registerListApplications(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/applications',
    {
      schema: {
        tags: ['applications'],
        operationId: 'listApplications',
        summary: 'List applications (active only unless include=revoked)',
        description:
          'The operator, and users or access keys holding any applications permission (`applications.view`, or create, edit or revoke, which imply it). Active and disabled applications, oldest first unless `sort`/`order` say otherwise; `include=revoked` adds revoked ones; `status` and `q` filter. With `limit`, pages: pass `nextCursor` back as `cursor` with the same `sort` and `order`.',
        security: BEARER,
        params: AccountParams,
        querystring: Query,
        response: {
          200: z.object({
            applications: z.array(ApplicationOut),
            nextCursor: z
              .string()
              .nullable()
              .describe('Opaque; pass as `cursor` (with the same `sort` and `order`) for the next page. Null: no more items.'),
          }),
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND']),
        },
      },
    },
    async (req) => {
      const query = req.query;
      const page = await pageApplications(ctx, await actorOf(ctx, req), req.params.accountId, {
        includeRevoked: query.include === 'revoked',
        status: query.status,
        q: query.q || undefined,
        sort: query.sort,
        paging: { limit: query.limit, order: query.order, after: afterOf(query, APPLICATION_SORTS[query.sort].numeric) },
      });
      return { applications: page.items.map(applicationOut), nextCursor: nextCursorOf(page.next, query) };
    },
  );
}
