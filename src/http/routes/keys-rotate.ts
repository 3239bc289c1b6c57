import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { MAX_OVERLAP_SECONDS, rotateKey } from '../../service/key-rotate.js';
import { BEARER_ERRORS, BODY_ERRORS, errors, KeyOut, KeyParams, keyOut, Name } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({
  overlapSeconds: z.number().int().min(0).max(MAX_OVERLAP_SECONDS).describe('How long the old key keeps working; 0 revokes it at once'),
  name: Name.optional().describe("The new key's name; defaults to the old key's"),
});

const Out = z.object({
  key: z.string().describe('The new access key. Shown only in this response: store it now.'),
  accessKey: KeyOut,
  previous: KeyOut.describe('The old key, now expiring at the end of the overlap (or revoked)'),
});

export function registerRotateKey(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/keys/:keyId/rotate',
    {
      schema: {
        tags: ['keys'],
        operationId: 'rotateKey',
        summary: 'Rotate an access key with an overlap window',
        description:
          "Users or access keys holding both the create and revoke key permissions on the key's application (customer keys: admins); not the operator. Creates a new key with exactly the old key's access and keeps the old one working for `overlapSeconds` (its expiry is brought forward; 0 revokes it). Only an active key rotates (409 KEY_NOT_ACTIVE), never in a revoked or disabled application, and only by someone who may grant every scope it holds (403 SCOPE_NOT_GRANTABLE). The key limit holds at every moment: with an overlap both keys are active, so at the limit the rotation answers 409 KEY_LIMIT_REACHED; with `overlapSeconds: 0` the new key takes the old one's place in the same transaction and works at the limit.",
        security: BEARER,
        params: KeyParams,
        body: Body,
        response: {
          201: Out,
          ...errors([
            ...BODY_ERRORS,
            ...BEARER_ERRORS,
            'FORBIDDEN',
            'SCOPE_NOT_GRANTABLE',
            'ACCOUNT_NOT_FOUND',
            'KEY_NOT_FOUND',
            'APPLICATION_REVOKED',
            'APPLICATION_DISABLED',
            'KEY_NOT_ACTIVE',
            'KEY_LIMIT_REACHED',
          ]),
        },
      },
    },
    async (req, reply) => {
      const { key, secret, previous } = await rotateKey(ctx, await actorOf(ctx, req), req.params.accountId, req.params.keyId, req.body);
      const now = ctx.now();
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({ key: secret, accessKey: keyOut(key, now), previous: keyOut(previous, now) });
    },
  );
}
