import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listApplications } from '../../service/applications.js';
import { AccountParams, ApplicationOut, applicationOut, BEARER_ERRORS, errors, INPUT_ERRORS, IncludeQuery } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerListApplications(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/applications',
    {
      schema: {
        tags: ['applications'],
        operationId: 'listApplications',
        summary: 'List applications (active only unless include=revoked)',
        description:
          'The operator, and users or access keys holding any applications permission (`applications.view`, or create, edit or revoke, which imply it). Active and disabled applications, oldest first; `include=revoked` adds revoked ones.',
        security: BEARER,
        params: AccountParams,
        querystring: IncludeQuery,
        response: {
          200: z.object({ applications: z.array(ApplicationOut) }),
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND']),
        },
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
