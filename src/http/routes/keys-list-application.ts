import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listApplicationKeys } from '../../service/keys.js';
import { ApplicationParams, BEARER_ERRORS, errors, INPUT_ERRORS, IncludeQuery, KeyOut, keyOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerListApplicationKeys(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/applications/:applicationId/keys',
    {
      schema: {
        tags: ['keys'],
        operationId: 'listApplicationKeys',
        summary: "List an application's access keys (revoked hidden unless include=revoked)",
        description:
          'The operator; users or access keys holding `keys.view.any`, or `keys.view.mine` in an application they created. Oldest first; `include=revoked` adds revoked keys.',
        security: BEARER,
        params: ApplicationParams,
        querystring: IncludeQuery,
        response: {
          200: z.object({ keys: z.array(KeyOut) }),
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'APPLICATION_NOT_FOUND']),
        },
      },
    },
    async (req) => {
      const keys = await listApplicationKeys(ctx, await actorOf(ctx, req), req.params.accountId, req.params.applicationId, {
        includeRevoked: req.query.include === 'revoked',
      });
      const now = ctx.now();
      return { keys: keys.map((k) => keyOut(k, now)) };
    },
  );
}
