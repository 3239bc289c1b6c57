import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { updateDevice } from '../../service/devices.js';
import { BEARER_ERRORS, BODY_ERRORS, DeviceOut, DeviceParams, deviceOut, errors, Name } from '../schemas.js';
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
        operationId: 'updateDevice',
        summary: 'Rename, disable or enable a device',
        description:
          'The operator, and users or access keys holding `devices.manage`. A disabled device fails verification with DEVICE_DISABLED from the moment this call returns. Send at least one field.',
        security: BEARER,
        params: DeviceParams,
        body: Body,
        response: { 200: DeviceOut, ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'DEVICE_NOT_FOUND']) },
      },
    },
    async (req) => deviceOut(await updateDevice(ctx, await actorOf(ctx, req), req.params.accountId, req.params.deviceId, req.body)),
  );
}
