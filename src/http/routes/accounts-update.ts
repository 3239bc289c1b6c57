import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { updateAccountSettings } from '../../service/accounts.js';
import { AccountOut, AccountParams, accountOut, BEARER_ERRORS, BODY_ERRORS, errors, LimitsFields, Name } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({
  name: Name.optional(),
  maxApplications: z.number().int().min(0).max(10_000).optional(),
  maxKeysPerApplication: z.number().int().min(0).max(10_000).optional(),
  ...LimitsFields,
  plan: z.string().max(50).nullable().optional().describe('A plan of the catalogue file (400 UNKNOWN_PLAN otherwise); null removes it'),
});

export function registerUpdateAccount(app: App, ctx: Runtime) {
  app.patch(
    '/v1/accounts/:accountId',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'updateAccount',
        summary: 'Rename an account, change its limits, rate limits, quota or plan (operator only)',
        description:
          'The operator only (others get 403 FORBIDDEN). Changes the name, `maxApplications` or `maxKeysPerApplication`; lowering a limit below the current count keeps what exists and refuses new ones. `ratelimits` (the whole list) and `quota` apply to every key of the account together with each key’s own; `plan` names a plan of the catalogue file, whose limits apply beside the account’s own and whose quota is granted when the plan is given (unless `quota` is in the same change). Limit changes are audited as `account.set_limits`. Send at least one field (an empty change is 400 VALIDATION_FAILED).',
        security: BEARER,
        params: AccountParams,
        body: Body,
        response: { 200: AccountOut, ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'UNKNOWN_PLAN']) },
      },
    },
    async (req) => accountOut(await updateAccountSettings(ctx, await actorOf(ctx, req), req.params.accountId, req.body)),
  );
}
