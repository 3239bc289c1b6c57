import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { createCustomerKey } from '../../service/customer-keys.js';
import {
  AccountParams,
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
  kind: z.literal('customer').describe('Only customer keys are created here; application keys are created in their application'),
  name: Name,
  description: Description.optional(),
  scopes: z.array(z.string().min(1).max(100)).max(100).describe('Scope or role names open to customer keys; fixed for the life of the key'),
  expiresAt: Timestamp.nullable().optional().describe('When the key stops working; omit for no expiry'),
  ...LimitsFields,
});

const Out = z.object({
  key: z.string().describe('The access key. Shown only in this response: store it now.'),
  accessKey: KeyOut,
});

export function registerCreateCustomerKey(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/keys',
    {
      schema: {
        tags: ['keys'],
        operationId: 'createCustomerKey',
        summary: 'Create a customer key (belongs to the account, e.g. billing access)',
        description:
          "Account admins only, through a session (the operator, members and access keys get 403 FORBIDDEN). Scopes must be open to customer keys in the catalogue (400 UNKNOWN_SCOPE) and held by the admin (403 SCOPE_NOT_GRANTABLE). At most `maxKeysPerApplication` active customer keys per account (409 KEY_LIMIT_REACHED). The key's secret is in this response only.",
        security: BEARER,
        params: AccountParams,
        body: Body,
        response: {
          201: Out,
          ...errors([
            ...BODY_ERRORS,
            ...BEARER_ERRORS,
            'FORBIDDEN',
            'ACCOUNT_NOT_FOUND',
            'EXPIRY_IN_PAST',
            'UNKNOWN_SCOPE',
            'SCOPE_NOT_GRANTABLE',
            'KEY_LIMIT_REACHED',
          ]),
        },
      },
    },
    async (req, reply) => {
      const { kind: _customer, ...input } = req.body;
      const { key, secret } = await createCustomerKey(ctx, await actorOf(ctx, req), req.params.accountId, input);
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({ key: secret, accessKey: keyOut(key, ctx.now()) });
    },
  );
}
