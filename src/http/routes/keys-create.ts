import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { createApplicationKey } from '../../service/keys.js';
import { ApplicationParams, Description, errorResponses, KeyOut, keyOut, Name, Timestamp } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({
  name: Name,
  description: Description.optional(),
  scopes: z.array(z.string().min(1).max(100)).max(100).describe('Scope or role names; fixed for the life of the key'),
  expiresAt: Timestamp.nullable().optional().describe('When the key stops working; omit for no expiry'),
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
        summary: 'Create an access key in an application',
        description:
          'Scopes can never exceed what the creating user holds and can never be changed later. At most `maxKeysPerApplication` active keys (10 by default).',
        security: BEARER,
        params: ApplicationParams,
        body: Body,
        response: { 201: Out, ...errorResponses },
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
