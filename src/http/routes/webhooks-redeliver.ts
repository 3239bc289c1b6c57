import type { Runtime } from '../../compose.js';
import { redeliver } from '../../service/webhooks.js';
import { BEARER_ERRORS, BODY_ERRORS, errors } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';
import { DeliveryIdParams, DeliveryOut, deliveryOut, scopeAccount, WEBHOOK_SCOPES } from '../webhook-schemas.js';

export function registerRedeliverWebhook(app: App, ctx: Runtime) {
  for (const scope of WEBHOOK_SCOPES) {
    app.post(
      `${scope.base}/:webhookId/deliveries/:deliveryId/redeliver`,
      {
        schema: {
          tags: ['webhooks'],
          operationId: `redeliver${scope.opSuffix}Webhook`,
          summary: 'Send a delivery again',
          description: `${scope.access} The delivery becomes due at once, whatever its status, with the same event and so the same \`webhook-id\` (receivers deduplicating on it see a repeat). 409 WEBHOOK_DISABLED on a disabled endpoint.`,
          security: BEARER,
          params: scope.params.extend(DeliveryIdParams.shape),
          response: {
            200: DeliveryOut,
            ...errors([...BODY_ERRORS, ...BEARER_ERRORS, ...scope.errors, 'WEBHOOK_NOT_FOUND', 'DELIVERY_NOT_FOUND', 'WEBHOOK_DISABLED']),
          },
        },
      },
      async (req) =>
        deliveryOut(await redeliver(ctx, await actorOf(ctx, req), scopeAccount(req.params), req.params.webhookId, req.params.deliveryId)),
    );
  }
}
