import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listWebhookDeliveries } from '../../service/webhooks.js';
import { Cursor, decodeCursor, encodeCursor } from '../cursor.js';
import { BEARER_ERRORS, errors, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';
import { DeliveryOut, deliveryOut, scopeAccount, WEBHOOK_SCOPES, WebhookIdParams } from '../webhook-schemas.js';

const Query = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: Cursor.optional(),
});

export function registerListWebhookDeliveries(app: App, ctx: Runtime) {
  for (const scope of WEBHOOK_SCOPES) {
    app.get(
      `${scope.base}/:webhookId/deliveries`,
      {
        schema: {
          tags: ['webhooks'],
          operationId: `list${scope.opSuffix}WebhookDeliveries`,
          summary: "An endpoint's delivery log, newest first",
          description: `${scope.access} Status, attempts, last response code and error of each event sent to the endpoint. Paged like the audit log: pass \`nextCursor\` as \`cursor\`.`,
          security: BEARER,
          params: scope.params.extend(WebhookIdParams.shape),
          querystring: Query,
          response: {
            200: z.object({ deliveries: z.array(DeliveryOut), nextCursor: z.string().nullable() }),
            ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, ...scope.errors, 'WEBHOOK_NOT_FOUND']),
          },
        },
      },
      async (req) => {
        const after = req.query.cursor !== undefined ? decodeCursor(req.query.cursor) : null;
        const { deliveries, more } = await listWebhookDeliveries(
          ctx,
          await actorOf(ctx, req),
          scopeAccount(req.params),
          req.params.webhookId,
          {
            limit: req.query.limit,
            ...(after !== null && { after }),
          },
        );
        const last = deliveries.at(-1);
        return { deliveries: deliveries.map(deliveryOut), nextCursor: more && last ? encodeCursor(last) : null };
      },
    );
  }
}
