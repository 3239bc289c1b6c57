import { newId } from '../core/ids.js';
import { type AccessKey, keyStatus } from '../core/model.js';
import type { KeyEventData, WebhookEventData, WebhookEventType } from '../core/webhook-events.js';
import { recordEvent } from '../store/repos/webhooks.js';
import type { Db } from '../store/store.js';
import type { Actor, Ctx } from './context.js';

/**
 * Writes a lifecycle event to the outbox inside the caller's transaction (with one pending
 * delivery per subscribed endpoint), so it exists exactly when the change commits; the
 * dispatcher (src/webhooks/dispatcher.ts) delivers it. The body is Standard Webhooks' suggested
 * `{type, timestamp, data}`, built here once and sent byte for byte on every attempt.
 * Returns the event id (every delivery's `webhook-id`).
 */
export async function emit<T extends WebhookEventType>(
  ctx: Ctx,
  tx: Db,
  type: T,
  accountId: string | null,
  data: WebhookEventData[T],
  opts: { onlyEndpointId?: string } = {},
): Promise<string> {
  const id = newId('event');
  const createdAt = ctx.now();
  const payload = JSON.stringify({ type, timestamp: new Date(createdAt).toISOString(), data });
  await recordEvent(tx, { id, type, accountId, payload, createdAt }, opts);
  return id;
}

/** What an event says of a key: what a listing shows, never the secret or its hash. */
export function keyEventData(key: AccessKey, now: number): KeyEventData {
  return {
    id: key.id,
    accountId: key.accountId,
    applicationId: key.applicationId,
    kind: key.kind,
    name: key.name,
    start: key.start,
    scopes: key.scopes,
    status: keyStatus(key, now),
    expiresAt: key.expiresAt,
  };
}

export const actorIdOf = (actor: Actor | null): string | null => actor?.principal.userId ?? null;
