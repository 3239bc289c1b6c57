import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listAccountUsage } from '../../service/accounts.js';
import { BEARER_ERRORS, errors, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Count = z.number().int().min(0);

const Out = z.object({
  since: z.number().int().describe('Start of the counted uses (epoch ms, the start of an hour 7 days ago)'),
  accounts: z.array(
    z.object({
      accountId: z.string(),
      users: Count.describe('Live users (deleted ones are not counted)'),
      activeApplications: Count.describe('Applications counting towards the limit: not revoked, creator not deleted'),
      activeKeys: Count.describe(
        'Access keys that verify, application and customer keys: active, unexpired, not disabled (application revoked, or its creator or the key’s deleted)',
      ),
      devices: Count.describe('Devices, disabled ones included'),
      uses: Count.describe("Successful verifications and gateway authorizations of the account's keys since `since`"),
      rejected: Count.describe('Verifications refused by a rate limit or quota since `since`'),
      lastUsedAt: z.number().int().nullable().describe("The latest use of any of the account's keys (null: never)"),
      deviceUses: Count.describe("Signed requests of the account's devices let through since `since`"),
      deviceRejected: Count.describe("Signed requests of the account's devices its rate limits or quota refused since `since`"),
      deviceLastUsedAt: z
        .number()
        .int()
        .nullable()
        .describe("The latest signed request let through of any of the account's devices (null: never)"),
    }),
  ),
});

export function registerAccountUsage(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/usage',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'listAccountUsage',
        summary: "Every account's size and use over the last 7 days (operator only)",
        description:
          'The operator only (others get 403 FORBIDDEN, access keys included). For every account, oldest first (as GET /v1/accounts): live users, active applications, active keys, devices, and the uses and refusals of its keys and (apart) of its devices’ signed requests over the last 7 days. Counts only: no names, emails or secrets.',
        security: BEARER,
        response: { 200: Out, ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN']) },
      },
    },
    async (req) => listAccountUsage(ctx, await actorOf(ctx, req)),
  );
}
