import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listDevices } from '../../service/devices.js';
import { AccountParams, DeviceOut, deviceOut, errorResponses } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Out = z.object({ devices: z.array(DeviceOut) });

export function registerListDevices(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/devices',
    {
      schema: {
        tags: ['devices'],
        summary: "List the account's devices",
        description: 'Every device, disabled ones included, oldest first.',
        security: BEARER,
        params: AccountParams,
        response: { 200: Out, ...errorResponses },
      },
    },
    async (req) => ({ devices: (await listDevices(ctx, await actorOf(ctx, req), req.params.accountId)).map(deviceOut) }),
  );
}
