import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { getUsage } from '../../service/usage.js';
import { AccountParams, BEARER_ERRORS, errors, Id, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Millis = z.coerce.number().int().min(0).describe('Epoch milliseconds');

const Query = z.object({
  keyId: Id.optional().describe('One key (then `devices` is empty); omit for every key the caller may view'),
  deviceId: Id.optional().describe('One device (then `series` is empty); not with `keyId`'),
  from: Millis.optional().describe('Start (inclusive); default 7 days before `to`'),
  to: Millis.optional().describe('End (exclusive); default now. At most 92 days after `from`'),
});

const Out = z.object({
  series: z.array(
    z.object({
      keyId: z.string(),
      points: z.array(
        z.object({
          t: z.number().int().describe('Start of the hour, epoch ms'),
          count: z.number().int().describe('Successful verifications and gateway authorizations'),
          rejected: z
            .number()
            .int()
            .describe('Verifications and authorizations of this key refused by a rate limit or quota (RATE_LIMITED, USAGE_EXCEEDED)'),
        }),
      ),
    }),
  ),
  devices: z
    .array(
      z.object({
        deviceId: z.string(),
        points: z.array(
          z.object({
            t: z.number().int().describe('Start of the hour, epoch ms'),
            count: z.number().int().describe('Signed requests let through (signature verifications VALID, gateway authorizations allowed)'),
            rejected: z
              .number()
              .int()
              .describe("Signed requests of this device the account's rate limits or quota refused (RATE_LIMITED, USAGE_EXCEEDED)"),
          }),
        ),
      }),
    )
    .describe('Per device, when the caller may view devices (`devices.view`); else empty'),
});

export function registerGetUsage(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/usage',
    {
      schema: {
        tags: ['keys'],
        operationId: 'getUsage',
        summary: 'Hourly usage of access keys and devices',
        description:
          'Whoever may view the keys (as listing or getting keys: `keys.view.any` or `keys.view.mine`, customer keys admins, the operator) or the devices (`devices.view`). Successful verifications and gateway authorizations per key and hour (`count`), and those a rate limit or quota of the key or its account refused (`rejected`: RATE_LIMITED, USAGE_EXCEEDED; other refusals are not counted); hours with neither are omitted. The same per device in `devices` for signed requests (CTN1: a wrong signature, a replay or a disabled device is not counted). Without `keyId` or `deviceId` a caller who may view only keys or only devices gets the other list empty; one who may view neither 403 FORBIDDEN. `from` must be before `to`, at most 92 days apart, and `keyId` and `deviceId` are not given together (400 VALIDATION_FAILED).',
        security: BEARER,
        params: AccountParams,
        querystring: Query,
        response: {
          200: Out,
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'KEY_NOT_FOUND', 'DEVICE_NOT_FOUND']),
        },
      },
    },
    async (req) => getUsage(ctx, await actorOf(ctx, req), req.params.accountId, req.query),
  );
}
