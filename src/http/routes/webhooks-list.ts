import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { listWebhooks } from '../../service/webhooks.js';
import { BEARER_ERRORS, errors, INPUT_ERRORS } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';
import { scopeAccount, WEBHOOK_SCOPES, WebhookOut, webhookOut } from '../webhook-schemas.js';

export function registerListWebhooks(app: App, ctx: Runtime) {
  for (const scope of WEBHOOK_SCOPES) {
    app.get(
      scope.base,
      {
        schema: {
          tags: ['webhooks'],
          operationId: `list${scope.opSuffix}Webhooks`,
          summary: scope.opSuffix ? "The operator's webhook endpoints" : "The account's webhook endpoints",
          description: scope.access,
          security: BEARER,
          params: scope.params,
          response: { 200: z.object({ endpoints: z.array(WebhookOut) }), ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, ...scope.errors]) },
        },
      },
      async (req) => ({ endpoints: (await listWebhooks(ctx, await actorOf(ctx, req), scopeAccount(req.params))).map(webhookOut) }),
    );
  }
}
