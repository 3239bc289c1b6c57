import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { viewSharedSecret } from '../../service/shared-secret.js';
import { AccountParams, BEARER_ERRORS, errors, INPUT_ERRORS, Timestamp } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Out = z.object({ secret: z.string().describe('128 hex characters'), updatedAt: Timestamp });

export function registerGetSharedSecret(app: App, ctx: Runtime) {
  app.get(
    '/v1/accounts/:accountId/shared-secret',
    {
      schema: {
        tags: ['devices'],
        operationId: 'getSharedSecret',
        summary: "View the account's shared device secret (admins)",
        description:
          'Account admins and the operator, through a session (members and access keys get 403 FORBIDDEN). Created on first use. Every view is recorded in the audit log.',
        security: BEARER,
        params: AccountParams,
        response: {
          200: Out,
          ...errors([...INPUT_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'SHARED_SECRET_UNREADABLE']),
        },
      },
    },
    async (req) => viewSharedSecret(ctx, await actorOf(ctx, req), req.params.accountId),
  );
}
