import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { updateApplication } from '../../service/applications.js';
import { ApplicationOut, ApplicationParams, applicationOut, Description, errorResponses, Name } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({ name: Name.optional(), description: Description.optional() });

export function registerUpdateApplication(app: App, ctx: Runtime) {
  app.patch(
    '/v1/accounts/:accountId/applications/:applicationId',
    {
      schema: {
        tags: ['applications'],
        summary: "Edit an application's name and description",
        security: BEARER,
        params: ApplicationParams,
        body: Body,
        response: { 200: ApplicationOut, ...errorResponses },
      },
    },
    async (req) =>
      applicationOut(await updateApplication(ctx, await actorOf(ctx, req), req.params.accountId, req.params.applicationId, req.body)),
  );
}
