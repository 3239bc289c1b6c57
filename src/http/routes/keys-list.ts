import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listAccountKeys } from '../../service/keys.js';
import { AccountParams, BEARER_ERRORS, errors, INPUT_ERRORS, IncludeQuery, KeyOut, keyOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Query = IncludeQuery.extend({ kind: z.enum(['application', 'customer']).optional() });

export function registerListKeys(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/keys',
    {
      schema: {
        tags: ['keys'],
        operationId: 'listKeys',
        summary: 'List every access key of the account the caller may view',
        description:
          'The operator; users or access keys holding `keys.view.any` (every application key) or `keys.view.mine` (keys of applications they created). Customer keys are listed for admins and the operator only. Oldest first; `include=revoked` adds revoked keys, `kind` filters.',
        security: BEARER,
        params: AccountParams,
        querystring: Query,
        response: {
          200: z.object({ keys: z.array(KeyOut) }),
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND']),
        },
      },
    },
    async (req) => {
      const keys = await listAccountKeys(ctx, await actorOf(ctx, req), req.params.accountId, {
        includeRevoked: req.query.include === 'revoked',
        kind: req.query.kind,
      });
      const now = ctx.now();
      return { keys: keys.map((k) => keyOut(k, now)) };
    },
  );
}
