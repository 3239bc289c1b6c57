import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { LEAK_ACTIONS } from '../../core/leak-policy.js';
import { getLeakPolicy } from '../../service/leaks.js';
import { AccountParams, BEARER_ERRORS, errors, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export const LeakPolicyOut = z.object({
  mode: z
    .enum(LEAK_ACTIONS)
    .describe(
      '`revoke` (default): at once; `rotate`: the key expires after `overlapSeconds`, for its owner to replace it; `notify`: only key.leaked',
    ),
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .describe('With `rotate`: how long the leaked key keeps working; 0 otherwise'),
});

export function registerGetLeakPolicy(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/leak-policy',
    {
      schema: {
        tags: ['webhooks'],
        operationId: 'getLeakPolicy',
        summary: "What happens to the account's keys reported as leaked",
        description:
          'Account admins and the operator. A key reported as leaked (POST /v1/leaks) is revoked by default; the policy can instead let it expire after an overlap, or only send key.leaked.',
        security: BEARER,
        params: AccountParams,
        response: { 200: LeakPolicyOut, ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND']) },
      },
    },
    async (req) => getLeakPolicy(ctx, await actorOf(ctx, req), req.params.accountId),
  );
}
