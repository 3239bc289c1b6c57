import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { createDevice } from '../../service/devices.js';
import { AccountParams, BEARER_ERRORS, BODY_ERRORS, DeviceOut, DeviceSecret, deviceOut, errors, Name } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({
  name: Name,
  useSharedSecret: z.boolean().optional().describe("Sign with the account's shared secret instead of a unique one (default false)"),
});

const Out = z.object({ device: DeviceOut, secret: DeviceSecret });

export function registerCreateDevice(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/devices',
    {
      schema: {
        tags: ['devices'],
        operationId: 'createDevice',
        summary: 'Create a virtual device',
        description:
          "The operator, and users or access keys holding `devices.manage`. By default the device gets its own 512-bit secret, returned only in this response; with `useSharedSecret` it signs with the account's shared secret (created on first need).",
        security: BEARER,
        params: AccountParams,
        body: Body,
        response: { 201: Out, ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND']) },
      },
    },
    async (req, reply) => {
      const { device, secret } = await createDevice(ctx, await actorOf(ctx, req), req.params.accountId, req.body);
      return reply.status(201).send({ device: deviceOut(device), secret });
    },
  );
}
