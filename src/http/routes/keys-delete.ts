import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { deleteKey } from '../../service/key-delete.js';
import { BEARER_ERRORS, BODY_ERRORS, errors, KeyParams, Ok } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({
  confirm: z
    .string()
    .max(200)
    .describe("The key's application ID (application key) or the account's customer ID (customer key), typed back"),
  confirmRecentUse: z.boolean().optional().describe('Required (true) when the key was used within the past 3 days'),
});

export function registerDeleteKey(app: App, ctx: Runtime) {
  app.delete(
    '/v1/accounts/:accountId/keys/:keyId',
    {
      schema: {
        tags: ['keys'],
        operationId: 'deleteKey',
        summary: 'Delete an access key permanently',
        description:
          'The operator; users or access keys holding `keys.revoke.any`, or `keys.revoke.mine` for keys of applications they created; customer keys only admins. A key cannot be edited in its access, only revoked or deleted. 409 CONFIRMATION_MISMATCH when `confirm` is not the right ID; 409 RECENT_USE_CONFIRMATION_REQUIRED (details.lastUsedAt) when the key was used within 3 days and `confirmRecentUse` is not true.',
        security: BEARER,
        params: KeyParams,
        body: Body,
        response: {
          200: Ok,
          ...errors([
            ...BODY_ERRORS,
            ...BEARER_ERRORS,
            'FORBIDDEN',
            'ACCOUNT_NOT_FOUND',
            'KEY_NOT_FOUND',
            'CONFIRMATION_MISMATCH',
            'RECENT_USE_CONFIRMATION_REQUIRED',
          ]),
        },
      },
    },
    async (req) => {
      await deleteKey(ctx, await actorOf(ctx, req), req.params.accountId, req.params.keyId, req.body);
      return { ok: true as const };
    },
  );
}
