import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { updateDevice } from '../../service/devices.js';
import { DeviceOut, DeviceParams, deviceOut, errorResponses, Name } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({
  name: Name.optional(),
  status: z.enum(['active', 'disabled']).optional().describe('A disabled device fails verification with DEVICE_DISABLED'),
});

export function registerUpdateDevice(app: App, ctx: Runtime) {
  app.patch(
    '/v1/accounts/:accountId/devices/:deviceId',
    {
      schema: {
        tags: ['devices'],
        summary: 'Rename, disable or enable a device',
        security: BEARER,
        params: DeviceParams,
        body: Body,
        response: { 200: DeviceOut, ...errorResponses },
      },
    },
    async (req) => deviceOut(await updateDevice(ctx, await actorOf(ctx, req), req.params.accountId, req.params.deviceId, req.body)),
  );
}
