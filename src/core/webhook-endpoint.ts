import type { WebhookEventType } from './webhook-events.js';

export interface WebhookEndpoint {
  id: string;
  /** null: an operator endpoint, receiving the events of every account. */
  accountId: string | null;
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
  enabled: boolean;
  /** Consecutive failed attempts; reset by a successful one. */
  failureCount: number;
  disabledReason: string | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: WebhookEventType;
  endpointId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

/** A webhook event as stored in the outbox: `payload` is the JSON body sent, without any secret. */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  accountId: string | null;
  payload: string;
  createdAt: number;
}
