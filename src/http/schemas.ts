import { z } from 'zod';
import { ERROR_CODES, type ErrorCode, httpStatusOf, SERVER_WIDE_ERROR_CODES } from '../core/errors.js';
import type { AccessKey, Account, Application, AuditEvent, Device, User } from '../core/model.js';
import { keyStatus } from '../core/model.js';
import { PERMISSIONS } from '../core/permissions.js';
import { QuotaInput, type QuotaSpec, type RateLimitSpec, RateLimitsInput, REFILL_INTERVALS, WINDOWS } from '../core/ratelimit.js';

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

/** The error envelope, with `code` narrowed by each response to the codes it can carry. */
function errorEnvelope<C extends z.ZodType<ErrorCode>>(code: C) {
  return z.object({
    error: z.object({
      code,
      message: z.string().describe("For people: the code's message from the table, or a more specific one"),
      requestId: z.string().describe('Also sent as X-Request-Id; quote it when reporting a problem'),
      details: z
        .record(z.string(), z.unknown())
        .optional()
        .describe('Particulars of some codes, e.g. `issues` (VALIDATION_FAILED), `limit`, `unknown`, `excess`, `retryAfterSeconds`'),
    }),
  });
}

/** Table order, so every enum in the document lists its codes the same way. */
const TABLE_ORDER = Object.keys(ERROR_CODES) as ErrorCode[];
function inTableOrder(codes: Iterable<ErrorCode>): [ErrorCode, ...ErrorCode[]] {
  const wanted = new Set(codes);
  return TABLE_ORDER.filter((c) => wanted.has(c)) as [ErrorCode, ...ErrorCode[]];
}

/** Every code of the one table (src/core/errors.ts), as the document's `ErrorCode` component. */
export const ErrorCodeSchema = z.enum(inTableOrder(TABLE_ORDER)).meta({
  id: 'ErrorCode',
  description:
    'Every error code Keyward reports (src/core/errors.ts). Codes are stable API: never renamed or reused. Each error response of an operation lists the subset it can carry.',
});

/** Any error body. Operations document narrower ones (see `errors`); this is the general shape. */
export const ErrorBody = errorEnvelope(ErrorCodeSchema).meta({ id: 'ErrorBody', description: 'The body of every error response.' });

/** Codes answered before any route runs, documented once for the whole server. */
export const FrameworkErrorCode = z.enum(SERVER_WIDE_ERROR_CODES).meta({
  id: 'FrameworkErrorCode',
  description: 'Codes any request can get, whatever its path, because they are answered before a route runs.',
});
export const FrameworkError = errorEnvelope(FrameworkErrorCode).meta({
  id: 'FrameworkError',
  description: `The answer to a request refused before it reached an operation. ${codeList(SERVER_WIDE_ERROR_CODES)}`,
});

/** One code as the document describes it: `` `CODE` (status): message ``. */
export function describeCode(code: ErrorCode): string {
  return `\`${code}\` (${httpStatusOf(code)}): ${ERROR_CODES[code]}`;
}

function codeList(codes: readonly ErrorCode[]): string {
  return codes.map(describeCode).join(' ');
}

const SERVER_WIDE: ReadonlySet<ErrorCode> = new Set(SERVER_WIDE_ERROR_CODES);

/** Any route: a NUL character in the query (or params, or body) is refused (input-guards.ts). */
export const INPUT_ERRORS = ['VALIDATION_FAILED'] as const satisfies readonly ErrorCode[];
/** Every POST, PATCH and DELETE: Fastify reads a body whenever one is sent, whether or not the route takes one. */
export const BODY_ERRORS = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
] as const satisfies readonly ErrorCode[];
/** A management credential (session token or access key with keyward: scopes), checked against the store. */
export const BEARER_ERRORS = ['UNAUTHORIZED', 'STORE_UNAVAILABLE'] as const satisfies readonly ErrorCode[];

export type ErrorResponses = Record<number, ReturnType<typeof errorEnvelope<z.ZodType<ErrorCode>>>>;

/**
 * The error responses of one operation: one per HTTP status (from `httpStatusOf`), whose
 * `error.code` is an enum of exactly the listed codes of that status, with their messages in
 * the response's description. 500 INTERNAL_ERROR is added to every operation here. `named`
 * gives a status a named enum instead (a component), which must hold exactly that status's codes.
 */
export function errors(codes: readonly ErrorCode[], named: Partial<Record<number, z.ZodEnum>> = {}): ErrorResponses {
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const code of [...codes, 'INTERNAL_ERROR' as const]) {
    if (SERVER_WIDE.has(code)) throw new Error(`${code} is answered server-wide: the document describes it once, not per operation`);
    const status = httpStatusOf(code);
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  const out: ErrorResponses = {};
  for (const [status, set] of [...byStatus].sort(([a], [b]) => a - b)) {
    const list = inTableOrder(set);
    const namedEnum = named[status];
    if (namedEnum && [...namedEnum.options].sort().join() !== [...list].sort().join()) {
      throw new Error(`the named enum for ${status} must hold exactly ${list.join(', ')}`);
    }
    out[status] = errorEnvelope((namedEnum as z.ZodType<ErrorCode> | undefined) ?? z.enum(list)).meta({
      description: list.map((c) => `\`${c}\`: ${ERROR_CODES[c]}`).join('\n\n'),
    });
  }
  return out;
}

/** Rate limits and quotas as every read shows them (docs/ratelimits.md). */
export const RateLimitOut = z.object({
  name: z.string(),
  limit: z.number().int().describe('Requests per window'),
  window: z.enum(WINDOWS),
  burst: z.number().int().nullable().describe('Requests allowed at once; null: `limit`'),
});
export const QuotaOut = z.object({
  credits: z.number().int().describe('Credits granted when the quota was set'),
  refill: z.object({ amount: z.number().int(), interval: z.enum(REFILL_INTERVALS) }).nullable(),
  remaining: z
    .number()
    .int()
    .nullable()
    .describe('Credits left as last written (spends of the last second may not be in yet); null where not read'),
});
const rateLimitsOut = (list: readonly RateLimitSpec[]) =>
  list.map((l) => ({ name: l.name, limit: l.limit, window: l.window, burst: l.burst ?? null }));
const quotaOut = (q: QuotaSpec | null, remaining: number | undefined) =>
  q === null ? null : { credits: q.credits, refill: q.refill, remaining: remaining ?? null };
/** Limits and quota in a creation or update body: not access, so they can be changed later. */
export const LimitsFields = {
  ratelimits: RateLimitsInput.optional().describe('Named rate limits (replace the whole list when editing)'),
  quota: QuotaInput.nullable().optional().describe('Credits spent by verifications; setting it starts a new count, null removes it'),
};

export const AccountOut = z.object({
  id: z.string(),
  customerId: z.string(),
  name: z.string(),
  maxApplications: z.number().int(),
  maxKeysPerApplication: z.number().int(),
  createdAt: Timestamp,
  ratelimits: z
    .array(RateLimitOut)
    .describe("Shared by all the account's keys, beside its plan's (an own limit replaces the plan's of the same name)"),
  quota: QuotaOut.nullable(),
  plan: z.string().nullable().describe('A plan of the catalogue file'),
});
export const accountOut = (a: Account): z.infer<typeof AccountOut> => ({
  id: a.id,
  customerId: a.customerId,
  name: a.name,
  maxApplications: a.maxApplications,
  maxKeysPerApplication: a.maxKeysPerApplication,
  createdAt: a.createdAt,
  ratelimits: rateLimitsOut(a.ratelimits),
  quota: quotaOut(a.quota, a.quotaRemaining),
  plan: a.plan,
});

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
  ratelimits: z.array(RateLimitOut),
  quota: QuotaOut.nullable(),
  leakedAt: Timestamp.nullable().describe(
    'When the key was last reported leaked (POST /v1/leaks, audited as key.leak), whatever the leak policy did; null if never. A new key is never leaked.',
  ),
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
  ratelimits: rateLimitsOut(k.ratelimits),
  quota: quotaOut(k.quota, k.quotaRemaining),
  leakedAt: k.leakedAt ?? null,
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
  lastUsedAt: Timestamp.nullable().describe('The latest signed request let through (verification or gateway); null: never'),
  usageCount: z
    .number()
    .int()
    .describe(
      'Signed requests let through (`POST /v1/signatures/verify` VALID, `GET /v1/authorize` and the proxy allowed), as of the last usage flush',
    ),
  rejectedCount: z
    .number()
    .int()
    .describe("Signed requests the account's rate limits or quota refused (RATE_LIMITED, USAGE_EXCEEDED), as of the last usage flush"),
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
  usageCount: d.usageCount,
  rejectedCount: d.rejectedCount,
  secretUpdatedAt: d.secretUpdatedAt,
});
export const DeviceSecret = z
  .string()
  .nullable()
  .describe('The new own secret (128 hex characters), shown only in this response; null when the device uses the shared secret');
