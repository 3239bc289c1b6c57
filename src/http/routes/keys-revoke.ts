import type { Runtime } from '../../compose.js';
import { revokeKey } from '../../service/keys.js';
import { BEARER_ERRORS, BODY_ERRORS, errors, KeyOut, KeyParams, keyOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

export function registerRevokeKey(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/keys/:keyId/revoke',
    {
      schema: {
        tags: ['keys'],
        operationId: 'revokeKey',
        summary: 'Revoke an access key',
        description:
          'The operator; users or access keys holding `keys.revoke.any`, or `keys.revoke.mine` for keys of applications they created; customer keys only admins. Verification rejects the key (REVOKED) as soon as this call returns; revoking again is 409 ALREADY_REVOKED. Revoked keys are hidden from default listings. Takes no body.',
        security: BEARER,
        params: KeyParams,
        response: {
          200: KeyOut,
          ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'KEY_NOT_FOUND', 'ALREADY_REVOKED']),
        },
      },
    },
    async (req) => keyOut(await revokeKey(ctx, await actorOf(ctx, req), req.params.accountId, req.params.keyId), ctx.now()),
  );
}
