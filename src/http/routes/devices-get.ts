import type { Runtime } from '../../compose.js';
import { getDevice } from '../../service/devices.js';
import { BEARER_ERRORS, DeviceOut, DeviceParams, deviceOut, errors, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerGetDevice(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/devices/:deviceId',
    {
      schema: {
        tags: ['devices'],
        operationId: 'getDevice',
        summary: 'Get a device',
        description:
          'The operator, and users or access keys holding `devices.view` or `devices.manage`. `secretSource` tells whether it signs with its own secret or the shared one; the secret itself is never shown here.',
        security: BEARER,
        params: DeviceParams,
        response: { 200: DeviceOut, ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'DEVICE_NOT_FOUND']) },
      },
    },
    async (req) => deviceOut(await getDevice(ctx, await actorOf(ctx, req), req.params.accountId, req.params.deviceId)),
  );
}
