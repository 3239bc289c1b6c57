import type { Runtime } from '../../compose.js';
import { getKey } from '../../service/keys.js';
import { errorResponses, KeyOut, KeyParams, keyOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerGetKey(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/keys/:keyId',
    {
      schema: {
        tags: ['keys'],
        summary: 'Get an access key (never its secret)',
        security: BEARER,
        params: KeyParams,
        response: { 200: KeyOut, ...errorResponses },
      },
    },
    async (req) => keyOut(await getKey(ctx, await actorOf(ctx, req), req.params.accountId, req.params.keyId), ctx.now()),
  );
}
