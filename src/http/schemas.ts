import { z } from 'zod';
import type { AccessKey, Account, Application, AuditEvent, Device, User } from '../core/model.js';
import { keyStatus } from '../core/model.js';
import { PERMISSIONS } from '../core/permissions.js';

/** Shared schemas and presenters: the only place that decides what leaves the server. */
export const Id = z.string().min(1).max(64);
export const Name = z.string().trim().min(1).max(100);
export const Description = z.string().max(1000);
export const Email = z.string().trim().email().max(254);
export const Password = z.string().min(10).max(200);
export const Timestamp = z.number().int().describe('Epoch milliseconds');
export const IncludeQuery = z.object({
  include: z.enum(['revoked']).optional().describe('`revoked` also lists revoked items'),
});
export const Ok = z.object({ ok: z.literal(true) });

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() }),
});

export const AccountOut = z.object({
  id: z.string(),
  customerId: z.string(),
  name: z.string(),
  maxApplications: z.number().int(),
  maxKeysPerApplication: z.number().int(),
  createdAt: Timestamp,
});
export const accountOut = (a: Account): z.infer<typeof AccountOut> => ({ ...a });

export const UserOut = z.object({
  id: z.string(),
  accountId: z.string().nullable(),
  email: z.string(),
  name: z.string(),
  isOperator: z.boolean(),
  isAdmin: z.boolean(),
  permissions: z.array(z.enum(PERMISSIONS)),
  apiScopes: z.array(z.string()),
  createdAt: Timestamp,
});
export const userOut = (u: User): z.infer<typeof UserOut> => ({
  id: u.id,
  accountId: u.accountId,
  email: u.email,
  name: u.name,
  isOperator: u.isOperator,
  isAdmin: u.isAdmin,
  permissions: u.permissions,
  apiScopes: u.apiScopes,
  createdAt: u.createdAt,
});

export const ApplicationOut = z.object({
  id: z.string(),
  accountId: z.string(),
  name: z.string(),
  description: z.string(),
  status: z
    .enum(['active', 'revoked', 'disabled'])
    .describe('`disabled`: the user who created it was deleted; its keys verify DISABLED and it takes no new keys'),
  createdBy: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  revokedAt: Timestamp.nullable(),
});
export const applicationOut = (a: Application): z.infer<typeof ApplicationOut> => ({ ...a });

export const KeyOut = z.object({
  id: z.string(),
  accountId: z.string(),
  applicationId: z.string().nullable(),
  kind: z.enum(['application', 'customer']),
  name: z.string(),
  description: z.string(),
  start: z.string().describe('The first characters of the key, to tell keys apart'),
  scopes: z.array(z.string()),
  roles: z.array(z.string()),
  status: z.enum(['active', 'revoked', 'expired']),
  expiresAt: Timestamp.nullable(),
  createdBy: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  revokedAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
  usageCount: z.number().int(),
});
export const keyOut = (k: AccessKey, now: number): z.infer<typeof KeyOut> => ({
  id: k.id,
  accountId: k.accountId,
  applicationId: k.applicationId,
  kind: k.kind,
  name: k.name,
  description: k.description,
  start: k.start,
  scopes: k.scopes,
  roles: k.roles,
  status: keyStatus(k, now),
  expiresAt: k.expiresAt,
  createdBy: k.createdBy,
  createdAt: k.createdAt,
  updatedAt: k.updatedAt,
  revokedAt: k.revokedAt,
  lastUsedAt: k.lastUsedAt,
  usageCount: k.usageCount,
});

export const AuditEventOut = z.object({
  id: z.string(),
  accountId: z.string().nullable(),
  actorId: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  ip: z.string().nullable(),
  createdAt: Timestamp,
  details: z.record(z.string(), z.unknown()),
});
export const auditOut = (e: AuditEvent): z.infer<typeof AuditEventOut> => ({ ...e });

export const AccountParams = z.object({ accountId: Id });
export const ApplicationParams = AccountParams.extend({ applicationId: Id });
export const KeyParams = AccountParams.extend({ keyId: Id });
export const UserParams = AccountParams.extend({ userId: Id });
export const DeviceParams = AccountParams.extend({ deviceId: Id });

export const DeviceOut = z.object({
  id: z.string().describe('The 20-character device ID used in CTN1 credentials'),
  accountId: z.string(),
  name: z.string(),
  status: z.enum(['active', 'disabled']),
  secretSource: z.enum(['own', 'shared']).describe("`shared`: the device signs with the account's shared secret"),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  secretUpdatedAt: Timestamp,
});
export const deviceOut = (d: Device): z.infer<typeof DeviceOut> => ({
  id: d.id,
  accountId: d.accountId,
  name: d.name,
  status: d.status,
  secretSource: d.secretSource,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
  lastUsedAt: d.lastUsedAt,
  secretUpdatedAt: d.secretUpdatedAt,
});
export const DeviceSecret = z
  .string()
  .nullable()
  .describe('The new own secret (128 hex characters), shown only in this response; null when the device uses the shared secret');

/** Standard error responses every authenticated route documents. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
};
