import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { resetDeviceSecret } from '../../service/devices.js';
import { DeviceOut, DeviceParams, DeviceSecret, deviceOut, errorResponses } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({
  useSharedSecret: z.boolean().describe("true: switch to the account's shared secret; false: issue a new own secret"),
});

const Out = z.object({ device: DeviceOut, secret: DeviceSecret });

export function registerResetDeviceSecret(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/devices/:deviceId/reset-secret',
    {
      schema: {
        tags: ['devices'],
        summary: "Reset a device's secret",
        description: 'The old secret stops working at once.',
        security: BEARER,
        params: DeviceParams,
        body: Body,
        response: { 200: Out, ...errorResponses },
      },
    },
    async (req) => {
      const { device, secret } = await resetDeviceSecret(ctx, await actorOf(ctx, req), req.params.accountId, req.params.deviceId, req.body);
      return { device: deviceOut(device), secret };
    },
  );
}
