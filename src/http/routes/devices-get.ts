import type { Runtime } from '../../compose.js';
import { getDevice } from '../../service/devices.js';
import { DeviceOut, DeviceParams, deviceOut, errorResponses } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerGetDevice(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/devices/:deviceId',
    {
      schema: {
        tags: ['devices'],
        summary: 'Get a device',
        description: '`secretSource` tells whether it signs with its own secret or the shared one.',
        security: BEARER,
        params: DeviceParams,
        response: { 200: DeviceOut, ...errorResponses },
      },
    },
    async (req) => deviceOut(await getDevice(ctx, await actorOf(ctx, req), req.params.accountId, req.params.deviceId)),
  );
}
