import { getAccount } from '../../service/accounts.js';
import type { Ctx } from '../../service/context.js';
import { AccountOut, AccountParams, accountOut, errorResponses } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerGetAccount(app: App, ctx: Ctx) {
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
