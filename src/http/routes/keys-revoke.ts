import type { Runtime } from '../../compose.js';
import { revokeKey } from '../../service/keys.js';
import { errorResponses, KeyOut, KeyParams, keyOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerRevokeKey(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/keys/:keyId/revoke',
    {
      schema: {
        tags: ['keys'],
        summary: 'Revoke an access key',
        description: 'Verification rejects the key (REVOKED) as soon as this call returns. Revoked keys are hidden from default listings.',
        security: BEARER,
        params: KeyParams,
        response: { 200: KeyOut, ...errorResponses },
      },
    },
    async (req) => keyOut(await revokeKey(ctx, await actorOf(ctx, req), req.params.accountId, req.params.keyId), ctx.now()),
  );
}
