import type { Runtime } from '../../compose.js';
import { getAccount } from '../../service/accounts.js';
import { AccountOut, AccountParams, accountOut, errorResponses } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerGetAccount(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Get an account',
        security: BEARER,
        params: AccountParams,
        response: { 200: AccountOut, ...errorResponses },
      },
    },
    async (req) => accountOut(await getAccount(ctx, await actorOf(ctx, req), req.params.accountId)),
  );
}
