import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listAccounts } from '../../service/accounts.js';
import { AccountOut, accountOut, errorResponses } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerListAccounts(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'List accounts: all for the operator, your own for anyone else',
        security: BEARER,
        response: { 200: z.object({ accounts: z.array(AccountOut) }), ...errorResponses },
      },
    },
    async (req) => ({ accounts: (await listAccounts(ctx, await actorOf(ctx, req))).map(accountOut) }),
  );
}
