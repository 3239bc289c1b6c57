import type { Runtime } from '../../compose.js';
import { getWebhook } from '../../service/webhooks.js';
import { BEARER_ERRORS, errors, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';
import { scopeAccount, WEBHOOK_SCOPES, WebhookIdParams, WebhookOut, webhookOut } from '../webhook-schemas.js';

export function registerGetWebhook(app: App, ctx: Runtime) {
  for (const scope of WEBHOOK_SCOPES) {
    app.get(
      `${scope.base}/:webhookId`,
      {
        schema: {
          tags: ['webhooks'],
          operationId: `get${scope.opSuffix}Webhook`,
          summary: 'One webhook endpoint',
          description: scope.access,
          security: BEARER,
          params: scope.params.extend(WebhookIdParams.shape),
          response: { 200: WebhookOut, ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, ...scope.errors, 'WEBHOOK_NOT_FOUND']) },
        },
      },
      async (req) => webhookOut(await getWebhook(ctx, await actorOf(ctx, req), scopeAccount(req.params), req.params.webhookId)),
    );
  }
}
