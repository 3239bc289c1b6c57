import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { updateKey } from '../../service/keys.js';
import { Description, errorResponses, KeyOut, KeyParams, keyOut, Name } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

// Deliberately only name and description: a key's access is fixed at creation.
const Body = z.strictObject({ name: Name.optional(), description: Description.optional() });

export function registerUpdateKey(app: App, ctx: Runtime) {
  app.patch(
    '/v1/accounts/:accountId/keys/:keyId',
    {
      schema: {
        tags: ['keys'],
        summary: "Edit an access key's name and description",
        description: 'Scopes, expiry and kind cannot be edited: create a new key instead. Unknown fields are rejected.',
        security: BEARER,
        params: KeyParams,
        body: Body,
        response: { 200: KeyOut, ...errorResponses },
      },
    },
    async (req) => keyOut(await updateKey(ctx, await actorOf(ctx, req), req.params.accountId, req.params.keyId, req.body), ctx.now()),
  );
}
