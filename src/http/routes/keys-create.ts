import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { createApplicationKey } from '../../service/keys.js';
import {
  ApplicationParams,
  BEARER_ERRORS,
  BODY_ERRORS,
  Description,
  errors,
  KeyOut,
  keyOut,
  LimitsFields,
  Name,
  Timestamp,
} from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({
  name: Name,
  description: Description.optional(),
  scopes: z.array(z.string().min(1).max(100)).max(100).describe('Scope or role names; fixed for the life of the key'),
  expiresAt: Timestamp.nullable().optional().describe('When the key stops working; omit for no expiry'),
  ...LimitsFields,
});

const Out = z.object({
  key: z.string().describe('The access key. Shown only in this response: store it now.'),
  accessKey: KeyOut,
});

export function registerCreateKey(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/applications/:applicationId/keys',
    {
      schema: {
        tags: ['keys'],
        operationId: 'createApplicationKey',
        summary: 'Create an access key in an application',
        description:
          "Users or access keys holding `keys.create.any`, or `keys.create.mine` in an application they created; not the operator (a key belongs to the user who creates it). Scopes must be catalogue scopes or roles open to application keys (400 UNKNOWN_SCOPE), can never exceed what the creating user holds (403 SCOPE_NOT_GRANTABLE) and can never be changed later. Not in a revoked (409 APPLICATION_REVOKED) or disabled (409 APPLICATION_DISABLED) application. At most `maxKeysPerApplication` active keys (10 by default; 409 KEY_LIMIT_REACHED). The key's secret is in this response only.",
        security: BEARER,
        params: ApplicationParams,
        body: Body,
        response: {
          201: Out,
          ...errors([
            ...BODY_ERRORS,
            ...BEARER_ERRORS,
            'FORBIDDEN',
            'ACCOUNT_NOT_FOUND',
            'APPLICATION_NOT_FOUND',
            'EXPIRY_IN_PAST',
            'UNKNOWN_SCOPE',
            'SCOPE_NOT_GRANTABLE',
            'APPLICATION_REVOKED',
            'APPLICATION_DISABLED',
            'KEY_LIMIT_REACHED',
          ]),
        },
      },
    },
    async (req, reply) => {
      const { key, secret } = await createApplicationKey(
        ctx,
        await actorOf(ctx, req),
        req.params.accountId,
        req.params.applicationId,
        req.body,
      );
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({ key: secret, accessKey: keyOut(key, ctx.now()) });
    },
  );
}
