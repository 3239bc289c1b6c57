import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { sendTestEvent } from '../../service/webhooks.js';
import { BEARER_ERRORS, BODY_ERRORS, errors } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';
import { scopeAccount, WEBHOOK_SCOPES, WebhookIdParams } from '../webhook-schemas.js';

export function registerTestWebhook(app: App, ctx: Runtime) {
  for (const scope of WEBHOOK_SCOPES) {
    app.post(
      `${scope.base}/:webhookId/test`,
      {
        schema: {
          tags: ['webhooks'],
          operationId: `test${scope.opSuffix}Webhook`,
          summary: 'Send a test event to one endpoint',
          description: `${scope.access} Queues a \`webhook.test\` event for this endpoint alone; it is delivered like any other (see the delivery log). 409 WEBHOOK_DISABLED on a disabled endpoint.`,
          security: BEARER,
          params: scope.params.extend(WebhookIdParams.shape),
          response: {
            202: z.object({ eventId: z.string().describe('The webhook-id the test delivery carries') }),
            ...errors([...BODY_ERRORS, ...BEARER_ERRORS, ...scope.errors, 'WEBHOOK_NOT_FOUND', 'WEBHOOK_DISABLED']),
          },
        },
      },
      async (req, reply) => {
        const eventId = await sendTestEvent(ctx, await actorOf(ctx, req), scopeAccount(req.params), req.params.webhookId);
        return reply.status(202).send({ eventId });
      },
    );
  }
}
