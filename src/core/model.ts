import type { AuditAction, AuditTargetType } from './audit-actions.js';
import type { KeyKind } from './catalogue.js';
import type { Permission } from './permissions.js';
import type { QuotaSpec, RateLimitSpec } from './ratelimit.js';

/** Epoch milliseconds. Every timestamp in the domain is one. */
export type Millis = number;

export interface Account {
  id: string;
  customerId: string;
  name: string;
  maxApplications: number;
  maxKeysPerApplication: number;
  createdAt: Millis;
  /** Limits shared by all the account's keys (besides its plan's). */
  ratelimits: RateLimitSpec[];
  quota: QuotaSpec | null;
  /** A plan of the catalogue, or null. */
  plan: string | null;
  /** Credits left as last written (a read attaches it). */
  quotaRemaining?: number | undefined;
}

export interface User {
  id: string;
  accountId: string | null;
  email: string;
  name: string;
  isOperator: boolean;
  isAdmin: boolean;
  permissions: Permission[];
  apiScopes: string[];
  createdAt: Millis;
  deletedAt: Millis | null;
}

/** What the store holds; `disabled` is derived, never stored. */
export type StoredApplicationStatus = 'active' | 'revoked';
/**
 * `disabled`: not revoked, but the user who created it was deleted (Pelion: that user's
 * applications stop working). Its keys verify DISABLED and it takes no new keys.
 */
export type ApplicationStatus = StoredApplicationStatus | 'disabled';

/** The status a caller sees: a deleted creator disables an application that is not revoked. */
export function applicationStatus(stored: StoredApplicationStatus, creatorDeleted: boolean): ApplicationStatus {
  return stored === 'active' && creatorDeleted ? 'disabled' : stored;
}

export interface Application {
  id: string;
  accountId: string;
  name: string;
  description: string;
  status: ApplicationStatus;
  createdBy: string;
  createdAt: Millis;
  updatedAt: Millis;
  revokedAt: Millis | null;
}

export type StoredKeyStatus = 'active' | 'revoked';
export type KeyStatus = StoredKeyStatus | 'expired';

export interface AccessKey {
  id: string;
  accountId: string;
  applicationId: string | null;
  kind: KeyKind;
  name: string;
  description: string;
  start: string;
  /** Effective scopes, roles already expanded: fixed for the key's life. */
  scopes: string[];
  /** Roles as granted, kept for display. */
  roles: string[];
  status: StoredKeyStatus;
  expiresAt: Millis | null;
  createdBy: string;
  createdAt: Millis;
  updatedAt: Millis;
  revokedAt: Millis | null;
  lastUsedAt: Millis | null;
  usageCount: number;
  /** Not access: editable after creation (docs/ratelimits.md). */
  ratelimits: RateLimitSpec[];
  quota: QuotaSpec | null;
  /** Credits left as last written (a read attaches it; spends of the last flush interval may be missing). */
  quotaRemaining?: number | undefined;
  /** When the key was last reported leaked (POST /v1/leaks), attached by reads; null or absent: never. */
  leakedAt?: Millis | null | undefined;
}

/** Stored status plus expiry give the status a caller sees. */
export function keyStatus(key: Pick<AccessKey, 'status' | 'expiresAt'>, now: Millis): KeyStatus {
  if (key.status === 'revoked') return 'revoked';
  if (key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  return 'active';
}

export interface AuditEvent {
  id: string;
  accountId: string | null;
  actorId: string | null;
  action: AuditAction;
  targetType: AuditTargetType;
  targetId: string;
  ip: string | null;
  createdAt: Millis;
  details: Record<string, unknown>;
}

export type DeviceStatus = 'active' | 'disabled';
export type SecretSource = 'own' | 'shared';

/** A virtual device: signs requests with its own secret or its account's shared secret. */
export interface Device {
  /** 20 word characters, as CTN1 credentials require. */
  id: string;
  accountId: string;
  name: string;
  status: DeviceStatus;
  secretSource: SecretSource;
  createdAt: Millis;
  updatedAt: Millis;
  /** The latest signed request let through (as of the last usage flush, or buffered on this node). */
  lastUsedAt: Millis | null;
  /** Signed requests let through, and those its account's rate limits or quota refused (as of the last usage flush). */
  usageCount: number;
  rejectedCount: number;
  /** When the secret this device signs with last changed (own reset, or a shared reset it followed). */
  secretUpdatedAt: Millis;
}
