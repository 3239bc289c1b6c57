import type { Runtime } from '../../compose.js';
import { getKey } from '../../service/keys.js';
import { BEARER_ERRORS, errors, INPUT_ERRORS, KeyOut, KeyParams, keyOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerGetKey(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/keys/:keyId',
    {
      schema: {
        tags: ['keys'],
        operationId: 'getKey',
        summary: 'Get an access key (never its secret)',
        description:
          'The operator; users or access keys holding `keys.view.any`, or `keys.view.mine` for keys of applications they created; customer keys only admins. `status` has expiry applied.',
        security: BEARER,
        params: KeyParams,
        response: {
          200: KeyOut,
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'KEY_NOT_FOUND']),
        },
      },
    },
    async (req) => keyOut(await getKey(ctx, await actorOf(ctx, req), req.params.accountId, req.params.keyId), ctx.now()),
  );
}
