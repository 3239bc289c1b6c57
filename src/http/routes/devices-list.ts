import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { pageDevices } from '../../service/devices.js';
import { DEVICE_SORTS } from '../../store/repos/devices.js';
import { afterOf, listQuery, nextCursorOf } from '../cursor.js';
import { AccountParams, BEARER_ERRORS, DeviceOut, deviceOut, errors, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Query = listQuery(['created', 'name', 'lastUsed'], 'the name or the device ID').extend({
  status: z.enum(['active', 'disabled']).optional().describe('Only devices in this state'),
  secretSource: z.enum(['own', 'shared']).optional().describe('Only devices signing with their own, or the shared, secret'),
});

const Out = z.object({
  devices: z.array(DeviceOut),
  nextCursor: z
    .string()
    .nullable()
    .describe('Opaque; pass as `cursor` (with the same `sort` and `order`) for the next page. Null: no more items.'),
});

export function registerListDevices(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/devices',
    {
      schema: {
        tags: ['devices'],
        operationId: 'listDevices',
        summary: "List the account's devices",
        description:
          'The operator, and users or access keys holding `devices.view` or `devices.manage`. Every device, disabled ones included, oldest first unless `sort`/`order` say otherwise; `status`, `secretSource` and `q` filter. With `limit`, pages: pass `nextCursor` back as `cursor` with the same `sort` and `order`.',
        security: BEARER,
        params: AccountParams,
        querystring: Query,
        response: { 200: Out, ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND']) },
      },
    },
    async (req) => {
      const query = req.query;
      const page = await pageDevices(ctx, await actorOf(ctx, req), req.params.accountId, {
        status: query.status,
        secretSource: query.secretSource,
        q: query.q || undefined,
        sort: query.sort,
        paging: { limit: query.limit, order: query.order, after: afterOf(query, DEVICE_SORTS[query.sort].numeric) },
      });
      return { devices: page.items.map(deviceOut), nextCursor: nextCursorOf(page.next, query) };
    },
  );
}
