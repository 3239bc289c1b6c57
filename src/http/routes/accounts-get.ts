import type { Runtime } from '../../compose.js';
import { getAccount } from '../../service/accounts.js';
import { AccountOut, AccountParams, accountOut, BEARER_ERRORS, errors, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerGetAccount(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'getAccount',
        summary: 'Get an account',
        description:
          "Any management credential of the account (session or access key), and the operator for every account. Another account's ID answers 404 ACCOUNT_NOT_FOUND, exactly like an ID that does not exist.",
        security: BEARER,
        params: AccountParams,
        response: { 200: AccountOut, ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'ACCOUNT_NOT_FOUND']) },
      },
    },
    async (req) => accountOut(await getAccount(ctx, await actorOf(ctx, req), req.params.accountId)),
  );
}
