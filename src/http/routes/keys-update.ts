import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { updateKey } from '../../service/keys.js';
import { BEARER_ERRORS, BODY_ERRORS, Description, errors, KeyOut, KeyParams, keyOut, LimitsFields, Name } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

// Name, description and limits only: a key's access (scopes, expiry, kind) is fixed at creation; limits are not access.
const Body = z.strictObject({ name: Name.optional(), description: Description.optional(), ...LimitsFields });

export function registerUpdateKey(app: App, ctx: Runtime) {
  app.patch(
    '/v1/accounts/:accountId/keys/:keyId',
    {
      schema: {
        tags: ['keys'],
        operationId: 'updateKey',
        summary: "Edit an access key's name, description, rate limits and quota",
        description:
          'The operator; users or access keys holding `keys.edit.any`, or `keys.edit.mine` for keys of applications they created; customer keys only admins. Rate limits (`ratelimits`, the whole list) and the quota (`quota`: setting it starts a new count of credits, null removes it) can be changed at any time and are audited as `key.set_limits`; the account’s limits still apply on top. Scopes, expiry and kind cannot be edited: create a new key instead. Unknown fields are rejected (400 VALIDATION_FAILED); a revoked key cannot be edited (409 ALREADY_REVOKED).',
        security: BEARER,
        params: KeyParams,
        body: Body,
        response: {
          200: KeyOut,
          ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'KEY_NOT_FOUND', 'ALREADY_REVOKED']),
        },
      },
    },
    async (req) => keyOut(await updateKey(ctx, await actorOf(ctx, req), req.params.accountId, req.params.keyId, req.body), ctx.now()),
  );
}
