import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { SHARED_SECRET_RESET_CONFIRMATION } from '../../core/device-secret.js';
import { resetSharedSecret } from '../../service/shared-secret.js';
import { AccountParams, BEARER_ERRORS, BODY_ERRORS, errors, Timestamp } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({
  // Any value other than the exact text is CONFIRMATION_REQUIRED (not a schema error), so the dashboard gets one code.
  confirm: z.unknown().optional().describe(`Must be exactly "${SHARED_SECRET_RESET_CONFIRMATION}"`),
  resetAllDevices: z.boolean().optional().describe('Also clear every device’s own secret, so all devices use the new shared secret'),
});

const Out = z.object({
  secret: z.string(),
  updatedAt: Timestamp,
  devicesReset: z.number().int().describe('Devices moved off their own secret (0 unless resetAllDevices)'),
});

export function registerResetSharedSecret(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts/:accountId/shared-secret/reset',
    {
      schema: {
        tags: ['devices'],
        operationId: 'resetSharedSecret',
        summary: "Reset the account's shared device secret (admins)",
        description:
          'Account admins and the operator, through a session (members and access keys get 403 FORBIDDEN). `confirm` must be the exact text, else 400 CONFIRMATION_REQUIRED. Devices on the shared secret switch to the new one at once; devices with their own secret are untouched unless `resetAllDevices`.',
        security: BEARER,
        params: AccountParams,
        body: Body,
        response: { 200: Out, ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'ACCOUNT_NOT_FOUND', 'CONFIRMATION_REQUIRED']) },
      },
    },
    async (req) =>
      resetSharedSecret(ctx, await actorOf(ctx, req), req.params.accountId, {
        confirm: req.body.confirm,
        resetAllDevices: req.body.resetAllDevices ?? false,
      }),
  );
}
