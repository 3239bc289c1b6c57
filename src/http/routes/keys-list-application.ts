import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { pageApplicationKeys } from '../../service/keys.js';
import { KEY_SORTS } from '../../store/repos/keys.js';
import { afterOf, nextCursorOf } from '../cursor.js';
import { ApplicationParams, BEARER_ERRORS, errors, INPUT_ERRORS, KeyOut, keyOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';
import { KeyListQuery } from './keys-list.js';

export function registerListApplicationKeys(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/applications/:applicationId/keys',
    {
      schema: {
        tags: ['keys'],
        operationId: 'listApplicationKeys',
        summary: "List an application's access keys (revoked hidden unless include=revoked)",
        description:
          'The operator; users or access keys holding `keys.view.any`, or `keys.view.mine` in an application they created. Oldest first unless `sort`/`order` say otherwise; `include=revoked` adds revoked keys; `status` and `q` filter. With `limit`, pages: pass `nextCursor` back as `cursor` with the same `sort` and `order`.',
        security: BEARER,
        params: ApplicationParams,
        querystring: KeyListQuery,
        response: {
          200: z.object({
            keys: z.array(KeyOut),
            nextCursor: z
              .string()
              .nullable()
              .describe('Opaque; pass as `cursor` (with the same `sort` and `order`) for the next page. Null: no more items.'),
          }),
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'APPLICATION_NOT_FOUND']),
        },
      },
    },
    async (req) => {
      const query = req.query;
      const page = await pageApplicationKeys(ctx, await actorOf(ctx, req), req.params.accountId, req.params.applicationId, {
        includeRevoked: query.include === 'revoked',
        status: query.status,
        q: query.q || undefined,
        sort: query.sort,
        paging: { limit: query.limit, order: query.order, after: afterOf(query, KEY_SORTS[query.sort].numeric) },
      });
      const now = ctx.now();
      return { keys: page.items.map((k) => keyOut(k, now)), nextCursor: nextCursorOf(page.next, query) };
    },
  );
}
