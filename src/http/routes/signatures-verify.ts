import { z } from 'zod';
import { SIGNATURE_CODES, verifySignedRequest } from '../../auth/device-signature.js';
import type { Runtime } from '../../compose.js';
import { countingErrorHandler } from '../errors.js';
import { bindLogIds } from '../log-options.js';
import { BODY_ERRORS, errors } from '../schemas.js';
import type { App } from '../types.js';

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

/** Signature verification answers, not errors: a 200 body's `code`, never an `error.code`. */
export const SignatureResultCode = z.enum(SIGNATURE_CODES).meta({
  id: 'SignatureResultCode',
  description:
    "Why a CTN1-HMAC-SHA256 signed request is (not) valid: `VALID`; `MISSING_HEADERS`, `BAD_TIMESTAMP`, `TIMESTAMP_OUT_OF_WINDOW` (more than 300 s from the server's clock), `MALFORMED_AUTHORIZATION`, `SIGN_DATE_OUT_OF_RANGE`, `INVALID_SIGNATURE` (also for an unknown device), `DEVICE_DISABLED`, `REPLAYED` (already accepted once), `SECRET_UNAVAILABLE` (the device's stored secret cannot be opened with the loaded master key). A verification result, not an error code.",
});

const Out = z.object({
  valid: z.boolean().describe('Whether to let the device through: true exactly when `code` is VALID'),
  code: SignatureResultCode,
  deviceId: z.string().nullable(),
  accountId: z.string().nullable(),
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
          'Anyone: the signature in the body is the credential checked, no Authorization needed. Always 200 for a well-formed request: `valid` says whether to let the device through and `code` (a SignatureResultCode, not an error code) says why not. An accepted signature is remembered (by every node sharing KEYWARD_REDIS_URL), so the same one answers REPLAYED within the timestamp window. 503 STORE_UNAVAILABLE when the device is not cached and the database does not answer in time.',
        security: [], // no management credential
        body: Body,
        response: { 200: Out, ...errors([...BODY_ERRORS, 'STORE_UNAVAILABLE']) },
      },
      ...(ctx.metrics && { errorHandler: countingErrorHandler((code) => ctx.metrics?.verified('signature', code)) }),
    },
    async (req) => {
      const started = performance.now();
      const result = await verifySignedRequest(ctx, req.body);
      ctx.metrics?.verifiedIn('signature', result.code, started);
      if (result.accountId !== null) bindLogIds(req.log, { accountId: result.accountId, deviceId: result.deviceId });
      return result;
    },
  );
}
