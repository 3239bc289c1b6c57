import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listDevices } from '../../service/devices.js';
import { AccountParams, BEARER_ERRORS, DeviceOut, deviceOut, errors, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Out = z.object({ devices: z.array(DeviceOut) });

export function registerListDevices(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/devices',
    {
      schema: {
        tags: ['devices'],
        operationId: 'listDevices',
        summary: "List the account's devices",
        description:
          'The operator, and users or access keys holding `devices.view` or `devices.manage`. Every device, disabled ones included, oldest first.',
        security: BEARER,
        params: AccountParams,
        response: { 200: Out, ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND']) },
      },
    },
    async (req) => ({ devices: (await listDevices(ctx, await actorOf(ctx, req), req.params.accountId)).map(deviceOut) }),
  );
}
