import type { Runtime } from '../../compose.js';
import { revokeApplication } from '../../service/applications.js';
import { ApplicationOut, ApplicationParams, applicationOut, BEARER_ERRORS, BODY_ERRORS, errors } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerRevokeApplication(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/applications/:applicationId/revoke',
    {
      schema: {
        tags: ['applications'],
        operationId: 'revokeApplication',
        summary: 'Revoke an application',
        description:
          'The operator, and users or access keys holding `applications.revoke`. Every key in it is rejected from then on (DISABLED). Revoking cannot be undone; revoking again is 409 ALREADY_REVOKED. Takes no body.',
        security: BEARER,
        params: ApplicationParams,
        response: {
          200: ApplicationOut,
          ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'APPLICATION_NOT_FOUND', 'ALREADY_REVOKED']),
        },
      },
    },
    async (req) => applicationOut(await revokeApplication(ctx, await actorOf(ctx, req), req.params.accountId, req.params.applicationId)),
  );
}
