import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { rotateWebhookSecret } from '../../service/webhooks.js';
import { BEARER_ERRORS, BODY_ERRORS, errors } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';
import { scopeAccount, WEBHOOK_SCOPES, WebhookIdParams, WebhookOut, WebhookSecret, webhookOut } from '../webhook-schemas.js';

export function registerRotateWebhookSecret(app: App, ctx: Runtime) {
  for (const scope of WEBHOOK_SCOPES) {
    app.post(
      `${scope.base}/:webhookId/rotate-secret`,
      {
        schema: {
          tags: ['webhooks'],
          operationId: `rotate${scope.opSuffix}WebhookSecret`,
          summary: "Replace a webhook endpoint's signing secret",
          description: `${scope.access} Every attempt from now on, retries included, is signed with the new secret only.`,
          security: BEARER,
          params: scope.params.extend(WebhookIdParams.shape),
          response: {
            200: z.object({ endpoint: WebhookOut, secret: WebhookSecret }),
            ...errors([...BODY_ERRORS, ...BEARER_ERRORS, ...scope.errors, 'WEBHOOK_NOT_FOUND']),
          },
        },
      },
      async (req, reply) => {
        const { endpoint, secret } = await rotateWebhookSecret(
          ctx,
          await actorOf(ctx, req),
          scopeAccount(req.params),
          req.params.webhookId,
        );
        reply.header('cache-control', 'no-store');
        return { endpoint: webhookOut(endpoint), secret };
      },
    );
  }
}
