import type { Runtime } from '../../compose.js';
import { setLeakPolicy } from '../../service/leaks.js';
import { AccountParams, BEARER_ERRORS, BODY_ERRORS, errors } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';
import { LeakPolicyOut } from './leak-policy-get.js';

export function registerUpdateLeakPolicy(app: App, ctx: Runtime) {
  app.put(
    '/v1/accounts/:accountId/leak-policy',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'setLeakPolicy',
        summary: "Set what happens to the account's keys reported as leaked",
        description:
          'Account admins and the operator. Audited. `overlapSeconds` must be 0 unless `mode` is `rotate` (400 VALIDATION_FAILED).',
        security: BEARER,
        params: AccountParams,
        body: LeakPolicyOut,
        response: { 200: LeakPolicyOut, ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND']) },
      },
    },
    async (req) => setLeakPolicy(ctx, await actorOf(ctx, req), req.params.accountId, req.body),
  );
}
