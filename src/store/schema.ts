import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { AuditAction, AuditTargetType } from '../core/audit-actions.js';
import type { KeyKind } from '../core/catalogue.js';
import type { LeakAction } from '../core/leak-policy.js';
import type { DeviceStatus, StoredApplicationStatus, StoredKeyStatus } from '../core/model.js';
import type { WebhookEventType } from '../core/webhook-events.js';

/**
 * Portable column types only (text, integer, bigint), so one schema and one set of
 * queries serve SQLite and PostgreSQL: JSON arrays are text, booleans are 0/1,
 * timestamps are epoch milliseconds. Columns holding one of a few values are typed as that
 * union (a status, a kind, a 0/1 flag), so a query cannot write or compare any other value.
 */
export interface AccountsTable {
  id: string;
  customer_id: string;
  name: string;
  max_applications: number;
  max_keys_per_application: number;
  /** Bumped to take a write lock on the account row inside a transaction. */
  lock_version: ColumnType<number, number | undefined, number>;
  created_at: number;
  /** JSON list of RateLimitSpec (core/ratelimit.ts). */
  ratelimits: ColumnType<string, string | undefined, string>;
  /** JSON QuotaSpec, or null. */
  quota: string | null;
  /** A plan of the catalogue file, or null. */
  plan: string | null;
}

export interface UsersTable {
  id: string;
  account_id: string | null;
  email: string;
  name: string;
  password_hash: string;
  is_operator: 0 | 1;
  is_admin: 0 | 1;
  permissions: string;
  api_scopes: string;
  created_at: number;
  deleted_at: number | null;
}

export interface ApplicationsTable {
  id: string;
  account_id: string;
  name: string;
  description: string;
  status: StoredApplicationStatus;
  created_by: string;
  created_at: number;
  updated_at: number;
  revoked_at: number | null;
}

export interface AccessKeysTable {
  id: string;
  account_id: string;
  application_id: string | null;
  kind: KeyKind;
  name: string;
  description: string;
  key_hash: string;
  start: string;
  scopes: string;
  roles: string;
  status: StoredKeyStatus;
  expires_at: number | null;
  created_by: string;
  created_at: number;
  updated_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  usage_count: ColumnType<number, number | undefined, number>;
  /** JSON list of RateLimitSpec (core/ratelimit.ts). */
  ratelimits: ColumnType<string, string | undefined, string>;
  /** JSON QuotaSpec, or null. */
  quota: string | null;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
}

export interface AuditEventsTable {
  id: string;
  account_id: string | null;
  actor_id: string | null;
  action: AuditAction;
  target_type: AuditTargetType;
  target_id: string;
  ip: string | null;
  created_at: number;
  details: string;
}

export interface KeyUsageTable {
  key_id: string;
  /** Start of the hour, epoch ms. */
  bucket_start: number;
  count: number;
  /** Verifications refused by a rate limit or quota in that hour (migration 0009). */
  rejected: ColumnType<number, number | undefined, number>;
}

export interface DevicesTable {
  id: string;
  account_id: string;
  name: string;
  status: DeviceStatus;
  /** Sealed own secret; null when the device uses the account's shared secret. */
  secret_enc: string | null;
  /** Fingerprint of the master key that sealed `secret_enc` (null with it, or when unknown). */
  master_key_id: string | null;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  secret_updated_at: number;
  /** Signed requests let through (migration 0011). */
  usage_count: ColumnType<number, number | undefined, number>;
  /** Signed requests the account's rate limits or quota refused (migration 0011). */
  rejected_count: ColumnType<number, number | undefined, number>;
}

/** Signed requests of a device per hour (migration 0011), as `key_usage` for keys. */
export interface DeviceUsageTable {
  device_id: string;
  bucket_start: number;
  count: number;
  rejected: number;
}

export interface AccountSharedSecretsTable {
  account_id: string;
  secret_enc: string;
  /** Fingerprint of the master key that sealed `secret_enc`; null when unknown. */
  master_key_id: string | null;
  updated_at: number;
}

/** Messages between processes sharing a SQLite file: written and read by dialect/sqlite/change-log-bus.ts only. */
export interface ChangeLogTable {
  id: Generated<number>;
  payload: string;
  created_at: number;
}

/** Quota counters (store/repos/quotas.ts): one per key or account with a quota. */
export interface QuotaCountersTable {
  owner_id: string;
  generation: number;
  remaining: number;
  period_start: number;
}

export interface WebhookEndpointsTable {
  id: string;
  /** null: an operator endpoint, receiving every account's events. */
  account_id: string | null;
  url: string;
  description: string;
  event_types: string;
  secret_enc: string;
  master_key_id: string | null;
  enabled: 0 | 1;
  /** Consecutive failed attempts; reset by a success. */
  failure_count: ColumnType<number, number | undefined, number>;
  disabled_reason: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface WebhookEventsTable {
  id: string;
  type: WebhookEventType;
  account_id: string | null;
  payload: string;
  created_at: number;
}

export type { DeliveryStatus } from '../core/webhook-endpoint.js';

import type { DeliveryStatus } from '../core/webhook-endpoint.js';

export interface WebhookDeliveriesTable {
  id: string;
  event_id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: number;
  lease_id: string | null;
  last_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface KeyNoticesTable {
  key_id: string;
  event_type: WebhookEventType;
  threshold: number;
  created_at: number;
}

export interface LeakPoliciesTable {
  account_id: string;
  action: LeakAction;
  overlap_seconds: number;
  updated_at: number;
}

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  applications: ApplicationsTable;
  access_keys: AccessKeysTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  key_usage: KeyUsageTable;
  devices: DevicesTable;
  device_usage: DeviceUsageTable;
  account_shared_secrets: AccountSharedSecretsTable;
  change_log: ChangeLogTable;
  quota_counters: QuotaCountersTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  key_notices: KeyNoticesTable;
  leak_policies: LeakPoliciesTable;
}

export type AccountRow = Selectable<AccountsTable>;
export type UserRow = Selectable<UsersTable>;
export type ApplicationRow = Selectable<ApplicationsTable>;
export type AccessKeyRow = Selectable<AccessKeysTable>;
export type NewAccessKeyRow = Insertable<AccessKeysTable>;
export type AccessKeyUpdate = Updateable<AccessKeysTable>;
export type DeviceRow = Selectable<DevicesTable>;
