import type { Selectable } from 'kysely';
import { newId } from '../../core/ids.js';
import type { DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent } from '../../core/webhook-endpoint.js';
import type { WebhookEventType } from '../../core/webhook-events.js';
import { sealedWith } from '../../crypto/secret-box.js';
import type { WebhookEndpointsTable } from '../schema.js';
import type { Db, Store } from '../store.js';
import { parseList, toList } from './json.js';

function toEndpoint(r: Selectable<WebhookEndpointsTable>): WebhookEndpoint {
  return {
    id: r.id,
    accountId: r.account_id,
    url: r.url,
    description: r.description,
    eventTypes: parseList(r.event_types) as WebhookEventType[],
    enabled: r.enabled === 1,
    failureCount: Number(r.failure_count),
    disabledReason: r.disabled_reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function insertEndpoint(db: Db, e: WebhookEndpoint, sealedSecret: string): Promise<void> {
  await db
    .insertInto('webhook_endpoints')
    .values({
      id: e.id,
      account_id: e.accountId,
      url: e.url,
      description: e.description,
      event_types: toList(e.eventTypes),
      secret_enc: sealedSecret,
      master_key_id: sealedWith(sealedSecret),
      enabled: e.enabled ? 1 : 0,
      failure_count: e.failureCount,
      disabled_reason: e.disabledReason,
      created_by: e.createdBy,
      created_at: e.createdAt,
      updated_at: e.updatedAt,
    })
    .execute();
}

/** `accountId` null: an operator endpoint. Another account's endpoint is indistinguishable from none. */
export async function findEndpoint(db: Db, accountId: string | null, id: string): Promise<WebhookEndpoint | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('id', '=', id)
    .where((eb) => (accountId === null ? eb('account_id', 'is', null) : eb('account_id', '=', accountId)))
    .executeTakeFirst();
  return row && toEndpoint(row);
}

export async function findEndpointSecret(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('webhook_endpoints').select('secret_enc').where('id', '=', id).executeTakeFirst();
  return row?.secret_enc;
}

export async function listEndpoints(db: Db, accountId: string | null): Promise<WebhookEndpoint[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where((eb) => (accountId === null ? eb('account_id', 'is', null) : eb('account_id', '=', accountId)))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toEndpoint);
}

export async function updateEndpoint(
  db: Db,
  id: string,
  patch: { url?: string; description?: string; eventTypes?: WebhookEventType[]; enabled?: boolean; updatedAt: number },
): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({
      updated_at: patch.updatedAt,
      ...(patch.url !== undefined && { url: patch.url }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.eventTypes !== undefined && { event_types: toList(patch.eventTypes) }),
      // Enabling again starts the failure count afresh.
      ...(patch.enabled !== undefined && { enabled: patch.enabled ? 1 : 0, disabled_reason: null, failure_count: 0 }),
    })
    .where('id', '=', id)
    .execute();
}

export async function setEndpointSecret(db: Db, id: string, sealedSecret: string, now: number): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ secret_enc: sealedSecret, master_key_id: sealedWith(sealedSecret), updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function deleteEndpoint(db: Db, id: string): Promise<void> {
  await db.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
  await db.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
}

/**
 * The outbox: the event, and one pending delivery for each enabled endpoint subscribed to its
 * type (the account's own, and the operator's), inside the caller's transaction, so an event
 * exists exactly when the change it describes committed. `onlyEndpointId`: a test event for one endpoint.
 */
export async function recordEvent(tx: Db, event: WebhookEvent, opts: { onlyEndpointId?: string } = {}): Promise<number> {
  await tx
    .insertInto('webhook_events')
    .values({
      id: event.id,
      type: event.type,
      account_id: event.accountId,
      payload: event.payload,
      created_at: event.createdAt,
    })
    .execute();
  let q = tx.selectFrom('webhook_endpoints').select(['id', 'event_types']).where('enabled', '=', 1);
  q =
    opts.onlyEndpointId !== undefined
      ? q.where('id', '=', opts.onlyEndpointId)
      : q.where((eb) =>
          event.accountId === null
            ? eb('account_id', 'is', null)
            : eb.or([eb('account_id', 'is', null), eb('account_id', '=', event.accountId)]),
        );
  const endpoints = (await q.execute()).filter((e) => opts.onlyEndpointId !== undefined || parseList(e.event_types).includes(event.type));
  if (endpoints.length === 0) return 0;
  await tx
    .insertInto('webhook_deliveries')
    .values(
      endpoints.map((e) => ({
        id: newId('delivery'),
        event_id: event.id,
        endpoint_id: e.id,
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: event.createdAt,
        created_at: event.createdAt,
      })),
    )
    .execute();
  return endpoints.length;
}

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  leaseId: string;
  attempts: number;
  createdAt: number;
  eventId: string;
  eventType: WebhookEventType;
  eventAccountId: string | null;
  payload: string;
  endpointId: string;
  endpointAccountId: string | null;
  url: string;
  sealedSecret: string;
}

/**
 * Claims up to `limit` due deliveries of enabled endpoints for `leaseMs`: one UPDATE, so on
 * SQLite it is atomic, and on PostgreSQL its select skips rows another node is claiming at the
 * same moment (FOR UPDATE SKIP LOCKED). The lease is the due time moved forward: a node that
 * dies mid-delivery leaves the row due again when the lease ends, for any node to retry.
 * Counting the attempt at the claim counts one a crash interrupted.
 */
export async function claimDeliveries(store: Store, opts: { now: number; leaseMs: number; limit: number }): Promise<ClaimedDelivery[]> {
  const db = store.db;
  // A read first, so a node with nothing due never writes: on SQLite a write waits for the one
  // writer lock, and nodes polling an idle outbox should not contend for it.
  const any = await db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', opts.now)
    .limit(1)
    .executeTakeFirst();
  if (any === undefined) return [];
  const leaseId = newId('delivery');
  const due = store.skipLocked(
    db
      .selectFrom('webhook_deliveries')
      .select('webhook_deliveries.id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', opts.now)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('webhook_endpoints')
            .select('webhook_endpoints.id')
            .whereRef('webhook_endpoints.id', '=', 'webhook_deliveries.endpoint_id')
            .where('webhook_endpoints.enabled', '=', 1),
        ),
      )
      .orderBy('next_attempt_at')
      .limit(opts.limit),
  );
  const claimed = await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({ lease_id: leaseId, next_attempt_at: opts.now + opts.leaseMs, attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', due)
    .returning('id')
    .execute();
  if (claimed.length === 0) return [];
  const rows = await db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhook_events', 'webhook_events.id', 'webhook_deliveries.event_id')
    .innerJoin('webhook_endpoints', 'webhook_endpoints.id', 'webhook_deliveries.endpoint_id')
    .select([
      'webhook_deliveries.id',
      'webhook_deliveries.attempts',
      'webhook_deliveries.created_at',
      'webhook_events.id as event_id',
      'webhook_events.type',
      'webhook_events.account_id as event_account_id',
      'webhook_events.payload',
      'webhook_endpoints.id as endpoint_id',
      'webhook_endpoints.account_id as endpoint_account_id',
      'webhook_endpoints.url',
      'webhook_endpoints.secret_enc',
    ])
    .where('webhook_deliveries.lease_id', '=', leaseId)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    leaseId,
    attempts: Number(r.attempts),
    createdAt: r.created_at,
    eventId: r.event_id,
    eventType: r.type,
    eventAccountId: r.event_account_id,
    payload: r.payload,
    endpointId: r.endpoint_id,
    endpointAccountId: r.endpoint_account_id,
    url: r.url,
    sealedSecret: r.secret_enc,
  }));
}

/**
 * The outcome of one attempt, recorded only by the claim that made it (a claim whose lease ran
 * out and was taken over changes nothing). Returns whether it was recorded.
 */
export async function finishDelivery(
  db: Db,
  id: string,
  leaseId: string,
  outcome: { status: DeliveryStatus; at: number; nextAttemptAt: number; statusCode: number | null; error: string | null },
): Promise<boolean> {
  const res = await db
    .updateTable('webhook_deliveries')
    .set({
      status: outcome.status,
      lease_id: null,
      next_attempt_at: outcome.nextAttemptAt,
      last_attempt_at: outcome.at,
      last_status_code: outcome.statusCode,
      last_error: outcome.error,
      ...(outcome.status === 'delivered' && { delivered_at: outcome.at }),
    })
    .where('id', '=', id)
    .where('lease_id', '=', leaseId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Counts a failed attempt against the endpoint (or clears the count after a success); returns the new count. */
export async function countEndpointOutcome(db: Db, endpointId: string, ok: boolean): Promise<number> {
  const row = await db
    .updateTable('webhook_endpoints')
    .set((eb) => ({ failure_count: ok ? 0 : eb('failure_count', '+', 1) }))
    .where('id', '=', endpointId)
    .returning('failure_count')
    .executeTakeFirst();
  return Number(row?.failure_count ?? 0);
}

/** Disables an enabled endpoint (false when it already was) and fails what it still had pending. */
export async function disableEndpoint(db: Db, endpointId: string, reason: string, now: number): Promise<boolean> {
  const res = await db
    .updateTable('webhook_endpoints')
    .set({ enabled: 0, disabled_reason: reason, updated_at: now })
    .where('id', '=', endpointId)
    .where('enabled', '=', 1)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) return false;
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', last_error: `endpoint disabled: ${reason}`, lease_id: null })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .execute();
  return true;
}

function toDelivery(r: {
  id: string;
  event_id: string;
  type: WebhookEventType;
  endpoint_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}): WebhookDelivery {
  return {
    id: r.id,
    eventId: r.event_id,
    eventType: r.type,
    endpointId: r.endpoint_id,
    status: r.status,
    attempts: Number(r.attempts),
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
    lastAttemptAt: r.last_attempt_at,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  };
}

function deliveriesQuery(db: Db) {
  return db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhook_events', 'webhook_events.id', 'webhook_deliveries.event_id')
    .select([
      'webhook_deliveries.id',
      'webhook_deliveries.event_id',
      'webhook_events.type',
      'webhook_deliveries.endpoint_id',
      'webhook_deliveries.status',
      'webhook_deliveries.attempts',
      'webhook_deliveries.next_attempt_at',
      'webhook_deliveries.last_attempt_at',
      'webhook_deliveries.last_status_code',
      'webhook_deliveries.last_error',
      'webhook_deliveries.created_at',
      'webhook_deliveries.delivered_at',
    ]);
}

/** Newest first, paged by (created_at, id) like the audit log. */
export async function listDeliveries(
  db: Db,
  endpointId: string,
  opts: { limit: number; after?: { createdAt: number; id: string } },
): Promise<{ deliveries: WebhookDelivery[]; more: boolean }> {
  let q = deliveriesQuery(db).where('webhook_deliveries.endpoint_id', '=', endpointId);
  const after = opts.after;
  if (after !== undefined) {
    q = q.where((eb) =>
      eb.or([
        eb('webhook_deliveries.created_at', '<', after.createdAt),
        eb.and([eb('webhook_deliveries.created_at', '=', after.createdAt), eb('webhook_deliveries.id', '<', after.id)]),
      ]),
    );
  }
  const rows = await q
    .orderBy('webhook_deliveries.created_at', 'desc')
    .orderBy('webhook_deliveries.id', 'desc')
    .limit(opts.limit + 1)
    .execute();
  return { deliveries: rows.slice(0, opts.limit).map(toDelivery), more: rows.length > opts.limit };
}

export async function findDelivery(db: Db, endpointId: string, id: string): Promise<WebhookDelivery | undefined> {
  const row = await deliveriesQuery(db)
    .where('webhook_deliveries.id', '=', id)
    .where('webhook_deliveries.endpoint_id', '=', endpointId)
    .executeTakeFirst();
  return row && toDelivery(row);
}

/** Due again now, with the same event (so the same webhook-id): a receiver deduplicating on it sees a repeat. */
export async function requeueDelivery(db: Db, id: string, now: number): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: now, lease_id: null })
    .where('id', '=', id)
    .execute();
}

export async function findEvent(db: Db, id: string): Promise<WebhookEvent | undefined> {
  const r = await db.selectFrom('webhook_events').selectAll().where('id', '=', id).executeTakeFirst();
  return r && { id: r.id, type: r.type, accountId: r.account_id, payload: r.payload, createdAt: r.created_at };
}

/** Sealed webhook secrets by master key (master-key rotation and the start-up check). */
export async function countWebhookSecretsByKey(db: Db): Promise<{ keyId: string | null; count: number }[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select((eb) => ['master_key_id', eb.fn.countAll<number>().as('n')])
    .groupBy('master_key_id')
    .execute();
  return rows.map((r) => ({ keyId: r.master_key_id, count: Number(r.n) }));
}

export async function listSealedWebhookSecrets(db: Db): Promise<{ id: string; sealed: string }[]> {
  const rows = await db.selectFrom('webhook_endpoints').select(['id', 'secret_enc']).execute();
  return rows.map((r) => ({ id: r.id, sealed: r.secret_enc }));
}

export async function resealWebhookSecret(db: Db, id: string, sealed: string): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ secret_enc: sealed, master_key_id: sealedWith(sealed) })
    .where('id', '=', id)
    .execute();
}
