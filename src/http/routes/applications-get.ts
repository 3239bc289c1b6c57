import type { Runtime } from '../../compose.js';
import { getApplication } from '../../service/applications.js';
import { ApplicationOut, ApplicationParams, applicationOut, errorResponses } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerGetApplication(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/applications/:applicationId',
    {
      schema: {
        tags: ['applications'],
        summary: 'Get an application',
        security: BEARER,
        params: ApplicationParams,
        response: { 200: ApplicationOut, ...errorResponses },
      },
    },
    async (req) => applicationOut(await getApplication(ctx, await actorOf(ctx, req), req.params.accountId, req.params.applicationId)),
  );
}
