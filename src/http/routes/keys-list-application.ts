import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listApplicationKeys } from '../../service/keys.js';
import { ApplicationParams, errorResponses, IncludeQuery, KeyOut, keyOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerListApplicationKeys(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/applications/:applicationId/keys',
    {
      schema: {
        tags: ['keys'],
        summary: "List an application's access keys (revoked hidden unless include=revoked)",
        security: BEARER,
        params: ApplicationParams,
        querystring: IncludeQuery,
        response: { 200: z.object({ keys: z.array(KeyOut) }), ...errorResponses },
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
