import type { Runtime } from '../../compose.js';
import { deleteDevice } from '../../service/devices.js';
import { DeviceParams, errorResponses, Ok } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerDeleteDevice(app: App, ctx: Runtime) {
  app.delete(
    '/v1/accounts/:accountId/devices/:deviceId',
    {
      schema: {
        tags: ['devices'],
        summary: 'Delete a device',
        description: 'Its signatures stop verifying at once (INVALID_SIGNATURE, like an unknown device).',
        security: BEARER,
        params: DeviceParams,
        response: { 200: Ok, ...errorResponses },
      },
    },
    async (req) => {
      await deleteDevice(ctx, await actorOf(ctx, req), req.params.accountId, req.params.deviceId);
      return { ok: true as const };
    },
  );
}
