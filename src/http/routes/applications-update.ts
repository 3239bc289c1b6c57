import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { updateApplication } from '../../service/applications.js';
import { ApplicationOut, ApplicationParams, applicationOut, BEARER_ERRORS, BODY_ERRORS, Description, errors, Name } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({ name: Name.optional(), description: Description.optional() });

export function registerUpdateApplication(app: App, ctx: Runtime) {
  app.patch(
    '/v1/accounts/:accountId/applications/:applicationId',
    {
      schema: {
        tags: ['applications'],
        operationId: 'updateApplication',
        summary: "Edit an application's name and description",
        description:
          'The operator, and users or access keys holding `applications.edit`. A revoked application cannot be edited (409 APPLICATION_REVOKED). Send at least one field.',
        security: BEARER,
        params: ApplicationParams,
        body: Body,
        response: {
          200: ApplicationOut,
          ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'APPLICATION_NOT_FOUND', 'APPLICATION_REVOKED']),
        },
      },
    },
    async (req) =>
      applicationOut(await updateApplication(ctx, await actorOf(ctx, req), req.params.accountId, req.params.applicationId, req.body)),
  );
}
