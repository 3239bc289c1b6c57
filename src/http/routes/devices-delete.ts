import type { Runtime } from '../../compose.js';
import { deleteDevice } from '../../service/devices.js';
import { BEARER_ERRORS, BODY_ERRORS, DeviceParams, errors, Ok } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerDeleteDevice(app: App, ctx: Runtime) {
  app.delete(
    '/v1/accounts/:accountId/devices/:deviceId',
    {
      schema: {
        tags: ['devices'],
        operationId: 'deleteDevice',
        summary: 'Delete a device',
        description:
          'The operator, and users or access keys holding `devices.manage`. Its signatures stop verifying at once (INVALID_SIGNATURE, like an unknown device).',
        security: BEARER,
        params: DeviceParams,
        response: { 200: Ok, ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'DEVICE_NOT_FOUND']) },
      },
    },
    async (req) => {
      await deleteDevice(ctx, await actorOf(ctx, req), req.params.accountId, req.params.deviceId);
      return { ok: true as const };
    },
  );
}
