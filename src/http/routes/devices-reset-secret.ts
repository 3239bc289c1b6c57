import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { resetDeviceSecret } from '../../service/devices.js';
import { BEARER_ERRORS, BODY_ERRORS, DeviceOut, DeviceParams, DeviceSecret, deviceOut, errors } from '../schemas.js';
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
        operationId: 'resetDeviceSecret',
        summary: "Reset a device's secret",
        description:
          "The operator, and users or access keys holding `devices.manage`. The old secret stops working at once. A new own secret is returned only in this response; with `useSharedSecret` the device switches to the account's shared secret (`secret` null).",
        security: BEARER,
        params: DeviceParams,
        body: Body,
        response: { 200: Out, ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'DEVICE_NOT_FOUND']) },
      },
    },
    async (req) => {
      const { device, secret } = await resetDeviceSecret(ctx, await actorOf(ctx, req), req.params.accountId, req.params.deviceId, req.body);
      return { device: deviceOut(device), secret };
    },
  );
}
