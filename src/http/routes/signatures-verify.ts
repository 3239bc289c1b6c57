import { z } from 'zod';
import { SIGNATURE_CODES, verifySignedRequest } from '../../auth/device-signature.js';
import type { Runtime } from '../../compose.js';
import { countingErrorHandler } from '../errors.js';
import { bindLogIds } from '../log-options.js';
import { BODY_ERRORS, errors, Timestamp } from '../schemas.js';
import type { App } from '../types.js';
import { limitsOut } from './keys-verify.js';

// Header values are taken as any text up to a size, so malformed ones get a result code rather than a schema error.
const Header = z.string().max(4096);

const Body = z.object({
  method: z.string().min(1).max(16),
  path: z.string().min(1).max(8192).describe('Path and query exactly as on the request line'),
  host: z.string().max(1024).describe('The Host header as received, port included'),
  timestamp: Header.optional().describe('The X-BCoT-Timestamp header'),
  authorization: Header.optional().describe('The Authorization header'),
  bodyHash: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/)
    .optional()
    .describe('Hex SHA-256 of the raw request body; omit for an empty body'),
});

/** The answers of this endpoint: the signature's, and its account's limits' (RATE_LIMITED, USAGE_EXCEEDED). */
export const SIGNATURE_VERIFY_CODES = [...SIGNATURE_CODES, 'RATE_LIMITED', 'USAGE_EXCEEDED'] as const;

/** Signature verification answers, not errors: a 200 body's `code`, never an `error.code`. */
export const SignatureResultCode = z.enum(SIGNATURE_VERIFY_CODES).meta({
  id: 'SignatureResultCode',
  description:
    "Why a CTN1-HMAC-SHA256 signed request is (not) valid: `VALID`; `MISSING_HEADERS`, `BAD_TIMESTAMP`, `TIMESTAMP_OUT_OF_WINDOW` (more than 300 s from the server's clock), `MALFORMED_AUTHORIZATION`, `SIGN_DATE_OUT_OF_RANGE`, `INVALID_SIGNATURE` (also for an unknown device), `DEVICE_DISABLED`, `REPLAYED` (already accepted once), `SECRET_UNAVAILABLE` (the device's stored secret cannot be opened with the loaded master key), `RATE_LIMITED` (a correct signature, but the device's account is over one of its rate limits: `retryAfterSeconds`), `USAGE_EXCEEDED` (a correct signature, but the account's quota of credits is spent). A verification result, not an error code.",
});

const Out = z.object({
  valid: z.boolean().describe('Whether to let the device through: true exactly when `code` is VALID'),
  code: SignatureResultCode,
  deviceId: z.string().nullable(),
  accountId: z.string().nullable(),
  ratelimits: z
    .array(
      z.object({
        name: z.string(),
        owner: z.enum(['key', 'account']).describe('Always `account`: a device has no limits of its own'),
        limit: z.number().int(),
        remaining: z.number().int(),
        reset: z.number().int().describe('Seconds until the limit is whole again'),
      }),
    )
    .optional()
    .describe("Each rate limit of the device's account applied, after this request; absent when the account has none"),
  quotas: z
    .array(z.object({ owner: z.enum(['key', 'account']), remaining: z.number().int(), refillAt: Timestamp.nullable() }))
    .optional()
    .describe("The account's quota, after this request"),
  retryAfterSeconds: z.number().int().optional().describe('With RATE_LIMITED: when to retry'),
});

export function registerVerifySignature(app: App, ctx: Runtime) {
  app.post(
    '/v1/signatures/verify',
    {
      schema: {
        tags: ['verification'],
        operationId: 'verifySignature',
        summary: 'Verify a CTN1-HMAC-SHA256 signed device request',
        description:
          'Anyone: the signature in the body is the credential checked, no Authorization needed. Always 200 for a well-formed request: `valid` says whether to let the device through and `code` (a SignatureResultCode, not an error code) says why not. An accepted signature is remembered (by every node sharing KEYWARD_REDIS_URL), so the same one answers REPLAYED within the timestamp window. A correct signature of an active device then spends 1 on each rate limit of the device’s account (its own and its plan’s, the counters its keys share) and 1 credit of its quota: RATE_LIMITED / USAGE_EXCEEDED when one refuses (consuming nothing; the signature stays used), with `ratelimits` and `quotas` whenever the account has any. A VALID answer counts as a use of the device, RATE_LIMITED / USAGE_EXCEEDED as a refusal (device usage, GET /v1/accounts/{accountId}/usage). 503 STORE_UNAVAILABLE when the device is not cached and the database does not answer in time.',
        security: [], // no management credential
        body: Body,
        response: { 200: Out, ...errors([...BODY_ERRORS, 'STORE_UNAVAILABLE']) },
      },
      ...(ctx.metrics && { errorHandler: countingErrorHandler((code) => ctx.metrics?.verified('signature', code)) }),
    },
    async (req) => {
      const started = performance.now();
      const result = await verifySignedRequest(ctx, req.body);
      if (result.accountId !== null) bindLogIds(req.log, { accountId: result.accountId, deviceId: result.deviceId });
      // A correct signature: its account's limits apply (src/service/limits.ts DeviceLimits), at cost 1.
      const limits = result.valid && ctx.deviceLimits ? await ctx.deviceLimits.check(result.accountId, result.deviceId) : null;
      // Usage (docs/devices.md): a request let through is a use, one the account's limits refused is counted apart.
      if (result.valid) {
        if (limits === null || limits.allowed) ctx.usage.recordDevice(result.deviceId, ctx.now());
        else ctx.usage.recordDeviceRejected(result.deviceId, ctx.now());
      }
      if (limits === null) {
        ctx.metrics?.verifiedIn('signature', result.code, started);
        return result;
      }
      const answer = limits.allowed
        ? { ...result, ...limitsOut(limits.report) }
        : { valid: false, code: limits.code, deviceId: result.deviceId, accountId: result.accountId, ...limitsOut(limits.report) };
      ctx.metrics?.verifiedIn('signature', answer.code, started);
      return answer;
    },
  );
}
