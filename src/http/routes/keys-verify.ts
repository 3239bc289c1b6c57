import { z } from 'zod';
import { type LimitOptions, recordUse, VERIFY_CODES, type VerifyResult, verifiedKeyOf, verifyKeySoon } from '../../auth/access-key.js';
import type { Runtime } from '../../compose.js';
import { type LimitReport, MAX_LIMITS } from '../../core/ratelimit.js';
import { countingErrorHandler } from '../errors.js';
import { bindLogIds } from '../log-options.js';
import { BODY_ERRORS, errors, Timestamp } from '../schemas.js';
import type { App } from '../types.js';

export const VerifyBody = z.object({
  key: z.string().max(512), // fast-verify.ts KEY_MAX
  scopes: z.array(z.string().min(1).max(100)).max(50).optional().describe('Scopes or roles the key must hold'),
  ratelimits: z
    .array(z.strictObject({ name: z.string().min(1).max(50), cost: z.number().int().min(0).max(1_000_000).optional() }))
    .max(MAX_LIMITS)
    .optional()
    .describe(
      "Apply only these named limits (the key's and its account's of that name), each at its `cost` (default 1); names the key has not are ignored. Omitted: every limit at cost 1",
    ),
  cost: z.number().int().min(0).max(1_000_000).optional().describe('Credits spent from the quotas (default 1; 0 checks without spending)'),
});

/** Verification answers, not errors: a 200 body's `code`, never an `error.code` (that is ErrorCode). */
export const VerifyResultCode = z.enum(VERIFY_CODES).meta({
  id: 'VerifyResultCode',
  description:
    'Why a presented key is (not) valid: `VALID`; `NOT_FOUND` (no such key), `MALFORMED` (not a well-formed Keyward key, refused without a lookup), `REVOKED`, `EXPIRED`, `DISABLED` (its application is revoked, or the creator of the key or of its application was deleted), `INSUFFICIENT_SCOPE` (valid, but lacks a required scope), `RATE_LIMITED` (valid, but over a rate limit of the key or its account: `retryAfterSeconds`), `USAGE_EXCEEDED` (valid, but its quota of credits, or its account’s, is spent). A verification result, not an error code: the management API reports a missing key as the error `KEY_NOT_FOUND`.',
});

const Out = z.object({
  valid: z.boolean().describe('Whether to let the caller through: true exactly when `code` is VALID'),
  code: VerifyResultCode,
  keyId: z.string().nullable(),
  accountId: z.string().nullable(),
  applicationId: z.string().nullable(),
  kind: z.enum(['application', 'customer']).nullable(),
  scopes: z.array(z.string()),
  expiresAt: Timestamp.nullable(),
  ratelimits: z
    .array(
      z.object({
        name: z.string(),
        owner: z.enum(['key', 'account']),
        limit: z.number().int(),
        remaining: z.number().int(),
        reset: z.number().int().describe('Seconds until the limit is whole again'),
      }),
    )
    .optional()
    .describe('Each rate limit applied, after this request; absent when the key and its account have none'),
  quotas: z
    .array(z.object({ owner: z.enum(['key', 'account']), remaining: z.number().int(), refillAt: Timestamp.nullable() }))
    .optional()
    .describe('Each quota applied, after this request'),
  retryAfterSeconds: z.number().int().optional().describe('With RATE_LIMITED: when to retry'),
});

/** What leaves the server, in the schema's field order (the fast path serializes this directly). */
export function presentVerifyResult(r: VerifyResult): z.infer<typeof Out> {
  const key = verifiedKeyOf(r);
  return {
    valid: r.valid,
    code: r.code,
    keyId: key?.keyId ?? null,
    accountId: key?.accountId ?? null,
    applicationId: key?.applicationId ?? null,
    kind: key?.kind ?? null,
    scopes: key?.scopes ?? [],
    expiresAt: key?.expiresAt ?? null,
    ...(key?.limits && limitsOut(key.limits)),
  };
}

/** The limits part of a verify answer, after the key's fields (the fast path serializes it on its own). */
export function limitsOut(r: LimitReport) {
  return {
    ratelimits: r.limits.map((l) => ({
      name: l.name,
      owner: l.owner,
      limit: l.limit,
      remaining: l.remaining,
      reset: Math.ceil(l.resetMs / 1000),
    })),
    quotas: r.quotas,
    ...(r.retryAfterMs !== null && { retryAfterSeconds: Math.max(1, Math.ceil(r.retryAfterMs / 1000)) }),
  };
}

/**
 * Verification as both the route and the fast path answer it: a valid key counts as used.
 * Synchronous when no store read is needed (see `verifyKeySoon`).
 */
export function verifyAndRecord(
  ctx: Runtime,
  key: string,
  scopes: readonly string[] | undefined,
  limits: LimitOptions = {},
): VerifyResult | Promise<VerifyResult> {
  const outcome = verifyKeySoon(ctx, key, scopes, limits);
  if (outcome instanceof Promise) {
    return outcome.then((result) => {
      recordUse(ctx, result);
      return result;
    });
  }
  recordUse(ctx, outcome);
  return outcome;
}

/** Also answered by src/http/fast-verify.ts ahead of Fastify; keep the two in step. */
export function registerVerifyKey(app: App, ctx: Runtime) {
  app.post(
    '/v1/keys/verify',
    {
      schema: {
        tags: ['verification'],
        operationId: 'verifyKey',
        summary: 'Verify an access key',
        description:
          'Anyone: the key in the body is the credential checked, no Authorization needed. Always 200 for a well-formed request: `valid` says whether to let the caller through and `code` (a VerifyResultCode, not an error code) says why not. A valid key counts as used. Rate limits and quotas of the key and of its account apply to valid keys only (a revoked key answers REVOKED even while over a limit): `ratelimits` names the limits to apply and their cost, `cost` the credits to spend; a refusal consumes nothing on any counter. 503 STORE_UNAVAILABLE (with Retry-After) when the key is not cached and the database does not answer in time, or when the shared rate limit counters (Redis) cannot be reached and KEYWARD_RATELIMIT_ON_REDIS_DOWN=closed: never a verification answer the store could not back.',
        security: [], // no management credential
        body: VerifyBody,
        response: { 200: Out, ...errors([...BODY_ERRORS, 'STORE_UNAVAILABLE']) },
      },
      // Every refusal is an answer too: counted with its error code.
      ...(ctx.metrics && { errorHandler: countingErrorHandler((code) => ctx.metrics?.verified('key', code)) }),
    },
    async (req) => {
      const started = performance.now();
      const result = await verifyAndRecord(ctx, req.body.key, req.body.scopes, { asks: req.body.ratelimits, credits: req.body.cost });
      ctx.metrics?.verifiedIn('key', result.code, started);
      const key = verifiedKeyOf(result);
      if (key) bindLogIds(req.log, { accountId: key.accountId, keyId: key.keyId });
      return presentVerifyResult(result);
    },
  );
}
