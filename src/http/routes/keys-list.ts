import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { pageAccountKeys } from '../../service/keys.js';
import { KEY_SORTS } from '../../store/repos/keys.js';
import { afterOf, listQuery, nextCursorOf } from '../cursor.js';
import { AccountParams, BEARER_ERRORS, errors, Id, INPUT_ERRORS, IncludeQuery, KeyOut, keyOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export const KeyListQuery = listQuery(['created', 'name', 'lastUsed'], 'the name, the key ID or the visible start of the key').extend({
  ...IncludeQuery.shape,
  status: z
    .enum(['active', 'expired', 'revoked'])
    .optional()
    .describe('Only keys in this state (overrides `include`); `active` excludes expired keys'),
});

const Query = KeyListQuery.extend({
  kind: z.enum(['application', 'customer']).optional(),
  applicationId: Id.optional().describe("Only this application's keys"),
});

export function registerListKeys(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/keys',
    {
      schema: {
        tags: ['keys'],
        operationId: 'listKeys',
        summary: 'List every access key of the account the caller may view',
        description:
          'The operator; users or access keys holding `keys.view.any` (every application key) or `keys.view.mine` (keys of applications they created). Customer keys are listed for admins and the operator only. Oldest first unless `sort`/`order` say otherwise; `include=revoked` adds revoked keys; `status`, `kind`, `applicationId` and `q` filter. With `limit`, pages: pass `nextCursor` back as `cursor` with the same `sort` and `order` (another ordering answers 400 VALIDATION_FAILED).',
        security: BEARER,
        params: AccountParams,
        querystring: Query,
        response: {
          200: z.object({
            keys: z.array(KeyOut),
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
      const page = await pageAccountKeys(ctx, await actorOf(ctx, req), req.params.accountId, {
        includeRevoked: query.include === 'revoked',
        status: query.status,
        kind: query.kind,
        applicationId: query.applicationId,
        q: query.q || undefined,
        sort: query.sort,
        paging: { limit: query.limit, order: query.order, after: afterOf(query, KEY_SORTS[query.sort].numeric) },
      });
      const now = ctx.now();
      return { keys: page.items.map((k) => keyOut(k, now)), nextCursor: nextCursorOf(page.next, query) };
    },
  );
}
