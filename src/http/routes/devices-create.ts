import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { createDevice } from '../../service/devices.js';
import { AccountParams, DeviceOut, DeviceSecret, deviceOut, errorResponses, Name } from '../schemas.js';
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
        summary: 'Create a virtual device',
        description: 'By default the device gets its own 512-bit secret, returned only in this response.',
        security: BEARER,
        params: AccountParams,
        body: Body,
        response: { 201: Out, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { device, secret } = await createDevice(ctx, await actorOf(ctx, req), req.params.accountId, req.body);
      return reply.status(201).send({ device: deviceOut(device), secret });
    },
  );
}
