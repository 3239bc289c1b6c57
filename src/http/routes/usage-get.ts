import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { getUsage } from '../../service/usage.js';
import { AccountParams, errorResponses, Id } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Millis = z.coerce.number().int().min(0).describe('Epoch milliseconds');

const Query = z.object({
  keyId: Id.optional().describe('One key; omit for every key the caller may view'),
  from: Millis.optional().describe('Start (inclusive); default 7 days before `to`'),
  to: Millis.optional().describe('End (exclusive); default now. At most 92 days after `from`'),
});

const Out = z.object({
  series: z.array(
    z.object({
      keyId: z.string(),
      points: z.array(z.object({ t: z.number().int().describe('Start of the hour, epoch ms'), count: z.number().int() })),
    }),
  ),
});

export function registerGetUsage(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/usage',
    {
      schema: {
        tags: ['keys'],
        summary: 'Hourly usage of access keys',
        description: 'Successful verifications per key and hour; hours without use are omitted. Needs the keys.view permission.',
        security: BEARER,
        params: AccountParams,
        querystring: Query,
        response: { 200: Out, ...errorResponses },
      },
    },
    async (req) => ({ series: await getUsage(ctx, await actorOf(ctx, req), req.params.accountId, req.query) }),
  );
}
