import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { createApplication } from '../../service/applications.js';
import { AccountParams, ApplicationOut, applicationOut, Description, errorResponses, Name } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({ name: Name, description: Description.optional() });

export function registerCreateApplication(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/applications',
    {
      schema: {
        tags: ['applications'],
        summary: 'Create an application',
        description: 'At most `maxApplications` active applications per account (10 by default); revoked ones do not count.',
        security: BEARER,
        params: AccountParams,
        body: Body,
        response: { 201: ApplicationOut, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.status(201).send(applicationOut(await createApplication(ctx, await actorOf(ctx, req), req.params.accountId, req.body))),
  );
}
