import { z } from 'zod';
import type { Ctx } from '../../service/context.js';
import { recordUse } from '../../service/usage.js';
import { VERIFY_CODES, verifyKey } from '../../service/verify.js';
import { ErrorBody, Timestamp } from '../schemas.js';
import type { App } from '../types.js';

const Body = z.object({
  key: z.string().max(512),
  scopes: z.array(z.string().min(1).max(100)).max(50).optional().describe('Scopes or roles the key must hold'),
});

const Out = z.object({
  valid: z.boolean(),
  code: z.enum(VERIFY_CODES),
  keyId: z.string().nullable(),
  accountId: z.string().nullable(),
  applicationId: z.string().nullable(),
  kind: z.enum(['application', 'customer']).nullable(),
  scopes: z.array(z.string()),
  expiresAt: Timestamp.nullable(),
});

export function registerVerifyKey(app: App, ctx: Ctx) {
  app.post(
    '/v1/keys/verify',
    {
      schema: {
        tags: ['verification'],
        summary: 'Verify an access key',
        description:
          'Always 200 for a well-formed request: `valid` says whether to let the caller through and `code` says why not (NOT_FOUND, MALFORMED, REVOKED, EXPIRED, DISABLED, INSUFFICIENT_SCOPE).',
        body: Body,
        response: { 200: Out, 400: ErrorBody },
      },
    },
    async (req) => {
      const { createdBy: _internal, ...result } = await verifyKey(ctx, req.body.key, req.body.scopes);
      recordUse(ctx, result);
      return result;
    },
  );
}
