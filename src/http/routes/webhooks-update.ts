import type { Runtime } from '../../compose.js';
import { updateWebhook } from '../../service/webhooks.js';
import { BEARER_ERRORS, BODY_ERRORS, errors } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';
import { scopeAccount, WEBHOOK_SCOPES, WebhookIdParams, WebhookOut, webhookOut } from '../webhook-schemas.js';
import { WebhookBody } from './webhooks-create.js';

export function registerUpdateWebhook(app: App, ctx: Runtime) {
  for (const scope of WEBHOOK_SCOPES) {
    app.patch(
      `${scope.base}/:webhookId`,
      {
        schema: {
          tags: ['webhooks'],
          operationId: `update${scope.opSuffix}Webhook`,
          summary: 'Change a webhook endpoint (URL, events, description, enabled)',
          description: `${scope.access} A new URL is checked like on creation. Enabling a disabled endpoint clears its failure count; deliveries it failed while disabled can be sent again with redeliver.`,
          security: BEARER,
          params: scope.params.extend(WebhookIdParams.shape),
          body: WebhookBody.partial(),
          response: {
            200: WebhookOut,
            ...errors([
              ...BODY_ERRORS,
              ...BEARER_ERRORS,
              ...scope.errors,
              'WEBHOOK_NOT_FOUND',
              'WEBHOOK_URL_REFUSED',
              'UNKNOWN_EVENT_TYPE',
            ]),
          },
        },
      },
      async (req) =>
        webhookOut(await updateWebhook(ctx, await actorOf(ctx, req), scopeAccount(req.params), req.params.webhookId, req.body)),
    );
  }
}
