import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { createWebhook } from '../../service/webhooks.js';
import { BEARER_ERRORS, BODY_ERRORS, Description, errors } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';
import { EventType, scopeAccount, WEBHOOK_SCOPES, WebhookOut, WebhookSecret, webhookOut } from '../webhook-schemas.js';

export const WebhookBody = z.object({
  url: z
    .string()
    .min(1)
    .max(2048)
    .describe('https:// (http:// only where the operator allows it); never a loopback or private address unless allowed'),
  description: Description.optional(),
  eventTypes: z.array(EventType).min(1).max(32),
  enabled: z.boolean().optional(),
});

const Out = z.object({ endpoint: WebhookOut, secret: WebhookSecret });

export function registerCreateWebhook(app: App, ctx: Runtime) {
  for (const scope of WEBHOOK_SCOPES) {
    app.post(
      scope.base,
      {
        schema: {
          tags: ['webhooks'],
          operationId: `create${scope.opSuffix}Webhook`,
          summary: scope.opSuffix ? 'Register an operator webhook endpoint' : 'Register a webhook endpoint',
          description: `${scope.access} The URL is resolved and refused (400 WEBHOOK_URL_REFUSED) when it points at a loopback, private, link-local or multicast address the operator has not allowed. The signing secret is in this response only.`,
          security: BEARER,
          params: scope.params,
          body: WebhookBody,
          response: {
            201: Out,
            ...errors([...BODY_ERRORS, ...BEARER_ERRORS, ...scope.errors, 'WEBHOOK_URL_REFUSED', 'UNKNOWN_EVENT_TYPE']),
          },
        },
      },
      async (req, reply) => {
        const { endpoint, secret } = await createWebhook(ctx, await actorOf(ctx, req), scopeAccount(req.params), req.body);
        reply.header('cache-control', 'no-store');
        return reply.status(201).send({ endpoint: webhookOut(endpoint), secret });
      },
    );
  }
}
