import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listAccounts } from '../../service/accounts.js';
import { AccountOut, accountOut, BEARER_ERRORS, errors, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerListAccounts(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'listAccounts',
        summary: 'List accounts: all for the operator, your own for anyone else',
        description:
          'Any management credential (session or access key). The operator gets every account, oldest first; anyone else a list holding only their own account.',
        security: BEARER,
        response: { 200: z.object({ accounts: z.array(AccountOut) }), ...errors([...INPUT_ERRORS, ...BEARER_ERRORS]) },
      },
    },
    async (req) => ({ accounts: (await listAccounts(ctx, await actorOf(ctx, req))).map(accountOut) }),
  );
}
