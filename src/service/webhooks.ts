import { KeywardError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { WebhookDelivery, WebhookEndpoint } from '../core/webhook-endpoint.js';
import { isWebhookEventType, type WebhookEventType } from '../core/webhook-events.js';
import { newWebhookSecret } from '../core/webhook-signature.js';
import { secretAad } from '../crypto/secret-box.js';
import {
  deleteEndpoint,
  findDelivery,
  findEndpoint,
  insertEndpoint,
  listDeliveries as listDeliveryRows,
  listEndpoints,
  requeueDelivery,
  setEndpointSecret,
  updateEndpoint,
} from '../store/repos/webhooks.js';
import { audit } from './audit.js';
import type { Actor, Ctx } from './context.js';
import { emit } from './events.js';
import { authorize, authorizeOn } from './guards.js';

/**
 * Webhook endpoints of an account (`accountId`), or the operator's own (`accountId` null), which
 * receive every account's events. Account endpoints: admins, the operator, and holders of
 * `webhooks.view` / `webhooks.manage`; operator endpoints: the operator alone.
 */
async function enter(ctx: Ctx, actor: Actor, accountId: string | null, right: 'webhooks.view' | 'webhooks.manage'): Promise<void> {
  if (accountId === null) authorize(actor, { operatorOnly: true });
  else await authorizeOn(ctx, actor, accountId, { right });
}

async function loadEndpoint(ctx: Ctx, accountId: string | null, id: string): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(ctx.store.db, accountId, id);
  if (!endpoint) throw new KeywardError('WEBHOOK_NOT_FOUND');
  return endpoint;
}

function checkTypes(types: readonly string[]): WebhookEventType[] {
  const unknown = types.filter((t) => !isWebhookEventType(t));
  if (unknown.length > 0) throw new KeywardError('UNKNOWN_EVENT_TYPE', `Unknown event type(s): ${unknown.join(', ')}`, { unknown });
  return [...new Set(types)] as WebhookEventType[];
}

export interface WebhookInput {
  url: string;
  description?: string | undefined;
  eventTypes: string[];
  enabled?: boolean | undefined;
}

/** The signing secret is returned here and by rotateWebhookSecret only; it is stored sealed. */
export async function createWebhook(
  ctx: Ctx,
  actor: Actor,
  accountId: string | null,
  input: WebhookInput,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await enter(ctx, actor, accountId, 'webhooks.manage');
  const eventTypes = checkTypes(input.eventTypes);
  const url = (await ctx.webhookUrls.check(input.url)).toString();
  const now = ctx.now();
  const endpoint: WebhookEndpoint = {
    id: newId('webhook'),
    accountId,
    url,
    description: input.description ?? '',
    eventTypes,
    enabled: input.enabled ?? true,
    failureCount: 0,
    disabledReason: null,
    createdBy: actor.principal.userId,
    createdAt: now,
    updatedAt: now,
  };
  const secret = newWebhookSecret();
  await ctx.store.transaction(async (tx) => {
    await insertEndpoint(tx, endpoint, ctx.secrets.seal(secret, secretAad.webhook(endpoint.id)));
    await audit(ctx, tx, actor, { accountId, action: 'webhook.create', targetId: endpoint.id, details: { url, eventTypes } });
  });
  return { endpoint, secret };
}

export async function listWebhooks(ctx: Ctx, actor: Actor, accountId: string | null): Promise<WebhookEndpoint[]> {
  await enter(ctx, actor, accountId, 'webhooks.view');
  return listEndpoints(ctx.store.db, accountId);
}

export async function getWebhook(ctx: Ctx, actor: Actor, accountId: string | null, id: string): Promise<WebhookEndpoint> {
  await enter(ctx, actor, accountId, 'webhooks.view');
  return loadEndpoint(ctx, accountId, id);
}

export async function updateWebhook(
  ctx: Ctx,
  actor: Actor,
  accountId: string | null,
  id: string,
  patch: Partial<WebhookInput>,
): Promise<WebhookEndpoint> {
  await enter(ctx, actor, accountId, 'webhooks.manage');
  await loadEndpoint(ctx, accountId, id);
  const clean = {
    ...(patch.url !== undefined && { url: (await ctx.webhookUrls.check(patch.url)).toString() }),
    ...(patch.description !== undefined && { description: patch.description }),
    ...(patch.eventTypes !== undefined && { eventTypes: checkTypes(patch.eventTypes) }),
    ...(patch.enabled !== undefined && { enabled: patch.enabled }),
  };
  await ctx.store.transaction(async (tx) => {
    await updateEndpoint(tx, id, { ...clean, updatedAt: ctx.now() });
    await audit(ctx, tx, actor, { accountId, action: 'webhook.update', targetId: id, details: clean });
  });
  return loadEndpoint(ctx, accountId, id);
}

/** Deletes the endpoint and its delivery log; the events stay (other endpoints may have them). */
export async function deleteWebhook(ctx: Ctx, actor: Actor, accountId: string | null, id: string): Promise<void> {
  await enter(ctx, actor, accountId, 'webhooks.manage');
  const endpoint = await loadEndpoint(ctx, accountId, id);
  await ctx.store.transaction(async (tx) => {
    await deleteEndpoint(tx, id);
    await audit(ctx, tx, actor, { accountId, action: 'webhook.delete', targetId: id, details: { url: endpoint.url } });
  });
}

/** A new signing secret, returned once; attempts from now on are signed with it alone. */
export async function rotateWebhookSecret(
  ctx: Ctx,
  actor: Actor,
  accountId: string | null,
  id: string,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await enter(ctx, actor, accountId, 'webhooks.manage');
  await loadEndpoint(ctx, accountId, id);
  const secret = newWebhookSecret();
  await ctx.store.transaction(async (tx) => {
    await setEndpointSecret(tx, id, ctx.secrets.seal(secret, secretAad.webhook(id)), ctx.now());
    await audit(ctx, tx, actor, { accountId, action: 'webhook.rotate_secret', targetId: id });
  });
  return { endpoint: await loadEndpoint(ctx, accountId, id), secret };
}

export async function listWebhookDeliveries(
  ctx: Ctx,
  actor: Actor,
  accountId: string | null,
  id: string,
  opts: { limit: number; after?: { createdAt: number; id: string } },
): Promise<{ deliveries: WebhookDelivery[]; more: boolean }> {
  await enter(ctx, actor, accountId, 'webhooks.view');
  await loadEndpoint(ctx, accountId, id);
  return listDeliveryRows(ctx.store.db, id, opts);
}

/** Sends a delivery again (same event, so the same webhook-id), whatever its status. */
export async function redeliver(
  ctx: Ctx,
  actor: Actor,
  accountId: string | null,
  id: string,
  deliveryId: string,
): Promise<WebhookDelivery> {
  await enter(ctx, actor, accountId, 'webhooks.manage');
  const endpoint = await loadEndpoint(ctx, accountId, id);
  if (!endpoint.enabled) throw new KeywardError('WEBHOOK_DISABLED');
  if (!(await findDelivery(ctx.store.db, id, deliveryId))) throw new KeywardError('DELIVERY_NOT_FOUND');
  await ctx.store.transaction(async (tx) => {
    await requeueDelivery(tx, deliveryId, ctx.now());
    await audit(ctx, tx, actor, { accountId, action: 'webhook.redeliver', targetId: id, details: { deliveryId } });
  });
  const after = await findDelivery(ctx.store.db, id, deliveryId);
  if (!after) throw new KeywardError('DELIVERY_NOT_FOUND');
  return after;
}

/** A `webhook.test` event for this endpoint alone; returns its id. */
export async function sendTestEvent(ctx: Ctx, actor: Actor, accountId: string | null, id: string): Promise<string> {
  await enter(ctx, actor, accountId, 'webhooks.manage');
  const endpoint = await loadEndpoint(ctx, accountId, id);
  if (!endpoint.enabled) throw new KeywardError('WEBHOOK_DISABLED');
  return ctx.store.transaction(async (tx) => {
    await audit(ctx, tx, actor, { accountId, action: 'webhook.test', targetId: id });
    return emit(ctx, tx, 'webhook.test', accountId, { endpointId: id, message: 'A test event from Keyward.' }, { onlyEndpointId: id });
  });
}
