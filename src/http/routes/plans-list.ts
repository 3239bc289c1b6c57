import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listPlans } from '../../service/limits.js';
import { BEARER_ERRORS, errors, INPUT_ERRORS, RateLimitOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const PlanOut = z
  .object({
    name: z.string().describe('What `PATCH /v1/accounts/{accountId}` takes as `plan`'),
    description: z.string(),
    ratelimits: z
      .array(RateLimitOut)
      .describe(
        "Rate limits shared by every key and device of an account on the plan (an account's own limit of the same name replaces one)",
      ),
    quota: z
      .object({
        credits: z.number().int().describe('Credits granted when the plan is given'),
        refill: z.object({ amount: z.number().int(), interval: z.enum(['daily', 'monthly']) }).nullable(),
      })
      .nullable(),
  })
  .meta({ id: 'Plan' });

const Out = z.object({ plans: z.array(PlanOut) });

export function registerListPlans(app: App, ctx: Runtime) {
  app.get(
    '/v1/plans',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'listPlans',
        summary: "List the catalogue's plans",
        description:
          'The operator, and account admins signed in; anyone else 403 FORBIDDEN, access keys included (a key never acts as an account admin, even one its admin created), and an access key without any keyward: management scope 401 UNAUTHORIZED as on every management route. The plans of the catalogue file (KEYWARD_CATALOGUE), in its order: each with its rate limits and the quota granted when it is given to an account. Read-only: plans are changed in the file. Which accounts are on a plan is not shown here (each account says its own `plan`).',
        security: BEARER,
        response: { 200: Out, ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN']) },
      },
    },
    async (req) => {
      const plans = listPlans(ctx, await actorOf(ctx, req));
      return {
        plans: plans.map((p) => ({
          name: p.name,
          description: p.description,
          ratelimits: p.ratelimits.map((l) => ({ name: l.name, limit: l.limit, window: l.window, burst: l.burst ?? null })),
          quota: p.quota === null ? null : { credits: p.quota.credits, refill: p.quota.refill },
        })),
      };
    },
  );
}
