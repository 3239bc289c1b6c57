import type { Runtime } from '../../compose.js';
import { getApplication } from '../../service/applications.js';
import { ApplicationOut, ApplicationParams, applicationOut, BEARER_ERRORS, errors, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerGetApplication(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/applications/:applicationId',
    {
      schema: {
        tags: ['applications'],
        operationId: 'getApplication',
        summary: 'Get an application',
        description:
          'The operator, and users or access keys holding any applications permission (`applications.view`, or create, edit or revoke). Revoked applications too.',
        security: BEARER,
        params: ApplicationParams,
        response: {
          200: ApplicationOut,
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'APPLICATION_NOT_FOUND']),
        },
      },
    },
    async (req) => applicationOut(await getApplication(ctx, await actorOf(ctx, req), req.params.accountId, req.params.applicationId)),
  );
}
