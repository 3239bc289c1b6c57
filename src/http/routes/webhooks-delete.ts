import type { Runtime } from '../../compose.js';
import { deleteWebhook } from '../../service/webhooks.js';
import { BEARER_ERRORS, BODY_ERRORS, errors, Ok } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';
import { scopeAccount, WEBHOOK_SCOPES, WebhookIdParams } from '../webhook-schemas.js';

export function registerDeleteWebhook(app: App, ctx: Runtime) {
  for (const scope of WEBHOOK_SCOPES) {
    app.delete(
      `${scope.base}/:webhookId`,
      {
        schema: {
          tags: ['webhooks'],
          operationId: `delete${scope.opSuffix}Webhook`,
          summary: 'Delete a webhook endpoint and its delivery log',
          description: scope.access,
          security: BEARER,
          params: scope.params.extend(WebhookIdParams.shape),
          response: { 200: Ok, ...errors([...BODY_ERRORS, ...BEARER_ERRORS, ...scope.errors, 'WEBHOOK_NOT_FOUND']) },
        },
      },
      async (req) => {
        await deleteWebhook(ctx, await actorOf(ctx, req), scopeAccount(req.params), req.params.webhookId);
        return { ok: true as const };
      },
    );
  }
}
