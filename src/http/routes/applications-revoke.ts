import type { Runtime } from '../../compose.js';
import { revokeApplication } from '../../service/applications.js';
import { ApplicationOut, ApplicationParams, applicationOut, errorResponses } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerRevokeApplication(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/applications/:applicationId/revoke',
    {
      schema: {
        tags: ['applications'],
        summary: 'Revoke an application',
        description: 'Every key in it is rejected from then on (DISABLED). Revoking cannot be undone.',
        security: BEARER,
        params: ApplicationParams,
        response: { 200: ApplicationOut, ...errorResponses },
      },
    },
    async (req) => applicationOut(await revokeApplication(ctx, await actorOf(ctx, req), req.params.accountId, req.params.applicationId)),
  );
}
