import { z } from 'zod';
import { SIGNATURE_CODES, verifySignedRequest } from '../../auth/device-signature.js';
import type { Runtime } from '../../compose.js';
import { ErrorBody } from '../schemas.js';
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

const Out = z.object({
  valid: z.boolean(),
  code: z.enum(SIGNATURE_CODES),
  deviceId: z.string().nullable(),
  accountId: z.string().nullable(),
});

export function registerVerifySignature(app: App, ctx: Runtime) {
  app.post(
    '/v1/signatures/verify',
    {
      schema: {
        tags: ['verification'],
        summary: 'Verify a CTN1-HMAC-SHA256 signed device request',
        description:
          'Always 200 for a well-formed request: `valid` says whether to let the device through and `code` says why not. An accepted signature is remembered (by every node sharing KEYWARD_REDIS_URL), so the same one answers REPLAYED within the timestamp window. 503 STORE_UNAVAILABLE when the device is not cached and the database does not answer in time.',
        body: Body,
        response: { 200: Out, 400: ErrorBody, 503: ErrorBody },
      },
    },
    async (req) => verifySignedRequest(ctx, req.body),
  );
}
