import { z } from 'zod';
import type { ErrorCode } from '../core/errors.js';
import type { WebhookDelivery, WebhookEndpoint } from '../core/webhook-endpoint.js';
import { WEBHOOK_EVENT_TYPES } from '../core/webhook-events.js';
import { AccountParams, Id, Timestamp } from './schemas.js';

/** Schemas and presenters of the webhook routes: what leaves the server about endpoints and deliveries. */
export const EventType = z.enum(WEBHOOK_EVENT_TYPES).meta({
  id: 'WebhookEventType',
  description:
    'A lifecycle event an endpoint can subscribe to (docs/webhooks.md). `ratelimit.exceeded` and `usage.threshold` come from limit decisions, of access keys (`data.key`) and of signed device requests (`data.key` null, `data.device` `{id, name}`); every other type from the change it names.',
});

export const WebhookOut = z.object({
  id: z.string(),
  accountId: z.string().nullable().describe("null: an operator endpoint, receiving every account's events"),
  url: z.string(),
  description: z.string(),
  eventTypes: z.array(EventType),
  enabled: z.boolean(),
  failureCount: z
    .number()
    .int()
    .describe('Failed attempts in a row; the endpoint is disabled when it reaches KEYWARD_WEBHOOK_DISABLE_AFTER'),
  disabledReason: z.string().nullable(),
  createdBy: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const webhookOut = (e: WebhookEndpoint): z.infer<typeof WebhookOut> => ({
  id: e.id,
  accountId: e.accountId,
  url: e.url,
  description: e.description,
  eventTypes: e.eventTypes,
  enabled: e.enabled,
  failureCount: e.failureCount,
  disabledReason: e.disabledReason,
  createdBy: e.createdBy,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

export const DeliveryOut = z.object({
  id: z.string(),
  eventId: z.string().describe('The `webhook-id` header of every attempt'),
  eventType: EventType,
  endpointId: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: Timestamp.nullable().describe('When pending: the next attempt (or, while one is in flight, the end of its lease)'),
  lastAttemptAt: Timestamp.nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: Timestamp,
  deliveredAt: Timestamp.nullable(),
});
export const deliveryOut = (d: WebhookDelivery): z.infer<typeof DeliveryOut> => ({ ...d });

export const WebhookSecret = z
  .string()
  .describe('The signing secret (`whsec_…`, Standard Webhooks). Shown only in this response: store it now.');

/**
 * Each webhook operation exists twice: on an account's endpoints, and on the operator's own
 * (`/v1/webhooks`, which receive every account's events; the operator alone).
 */
export const WEBHOOK_SCOPES = [
  {
    base: '/v1/accounts/:accountId/webhooks',
    params: AccountParams,
    opSuffix: '',
    access: 'Account admins, the operator, and users or access keys holding `webhooks.manage` (changes) or `webhooks.view` (reading).',
    errors: ['FORBIDDEN', 'ACCOUNT_NOT_FOUND'] as ErrorCode[],
  },
  {
    base: '/v1/webhooks',
    params: z.object({}),
    opSuffix: 'Operator',
    access: 'The operator alone. Operator endpoints receive the events of every account they subscribe to.',
    errors: ['FORBIDDEN'] as ErrorCode[],
  },
] as const;

export const WebhookIdParams = z.object({ webhookId: Id });
export const DeliveryIdParams = z.object({ webhookId: Id, deliveryId: Id });

/** The account a webhook route acts in, or null for the operator's own endpoints. */
export function scopeAccount(params: unknown): string | null {
  const id = (params as { accountId?: unknown }).accountId;
  return typeof id === 'string' ? id : null;
}
