import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { updateAccountSettings } from '../../service/accounts.js';
import { AccountOut, AccountParams, accountOut, errorResponses, Name } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({
  name: Name.optional(),
  maxApplications: z.number().int().min(0).max(10_000).optional(),
  maxKeysPerApplication: z.number().int().min(0).max(10_000).optional(),
});

export function registerUpdateAccount(app: App, ctx: Runtime) {
  app.patch(
    '/v1/accounts/:accountId',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Rename an account or change its limits (operator only)',
        security: BEARER,
        params: AccountParams,
        body: Body,
        response: { 200: AccountOut, ...errorResponses },
      },
    },
    async (req) => accountOut(await updateAccountSettings(ctx, await actorOf(ctx, req), req.params.accountId, req.body)),
  );
}
