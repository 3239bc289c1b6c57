import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { createApplication } from '../../service/applications.js';
import { AccountParams, ApplicationOut, applicationOut, BEARER_ERRORS, BODY_ERRORS, Description, errors, Name } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({ name: Name, description: Description.optional() });

export function registerCreateApplication(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/applications',
    {
      schema: {
        tags: ['applications'],
        operationId: 'createApplication',
        summary: 'Create an application',
        description:
          'Users holding `applications.create` (admins hold every permission), or an access key carrying `keyward:applications.create`. Not the operator: an application belongs to the user who creates it (403 FORBIDDEN). At most `maxApplications` active applications per account (10 by default; 409 APPLICATION_LIMIT_REACHED with details.limit); revoked ones do not count.',
        security: BEARER,
        params: AccountParams,
        body: Body,
        response: {
          201: ApplicationOut,
          ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'APPLICATION_LIMIT_REACHED']),
        },
      },
    },
    async (req, reply) =>
      reply.status(201).send(applicationOut(await createApplication(ctx, await actorOf(ctx, req), req.params.accountId, req.body))),
  );
}
