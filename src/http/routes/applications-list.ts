import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listApplications } from '../../service/applications.js';
import { AccountParams, ApplicationOut, applicationOut, errorResponses, IncludeQuery } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerListApplications(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/applications',
    {
      schema: {
        tags: ['applications'],
        summary: 'List applications (active only unless include=revoked)',
        security: BEARER,
        params: AccountParams,
        querystring: IncludeQuery,
        response: { 200: z.object({ applications: z.array(ApplicationOut) }), ...errorResponses },
      },
    },
    async (req) => {
      const apps = await listApplications(ctx, await actorOf(ctx, req), req.params.accountId, {
        includeRevoked: req.query.include === 'revoked',
      });
      return { applications: apps.map(applicationOut) };
    },
  );
}
