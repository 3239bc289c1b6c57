import { z } from 'zod';
import { recordUse, VERIFY_CODES, type VerifyResult, verifiedKeyOf, verifyKeySoon } from '../../auth/access-key.js';
import type { Runtime } from '../../compose.js';
import { ErrorBody, Timestamp } from '../schemas.js';
import type { App } from '../types.js';

export const VerifyBody = z.object({
  key: z.string().max(512), // fast-verify.ts KEY_MAX
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
  };
}

/**
 * Verification as both the route and the fast path answer it: a valid key counts as used.
 * Synchronous when no store read is needed (see `verifyKeySoon`).
 */
export function verifyAndRecord(ctx: Runtime, key: string, scopes: readonly string[] | undefined): VerifyResult | Promise<VerifyResult> {
  const outcome = verifyKeySoon(ctx, key, scopes);
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
        summary: 'Verify an access key',
        description:
          'Always 200 for a well-formed request: `valid` says whether to let the caller through and `code` says why not (NOT_FOUND, MALFORMED, REVOKED, EXPIRED, DISABLED, INSUFFICIENT_SCOPE). 503 STORE_UNAVAILABLE (with Retry-After) when the key is not cached and the database does not answer in time: never a verification answer the store could not back.',
        body: VerifyBody,
        response: { 200: Out, 400: ErrorBody, 503: ErrorBody },
      },
    },
    async (req) => presentVerifyResult(await verifyAndRecord(ctx, req.body.key, req.body.scopes)),
  );
}
