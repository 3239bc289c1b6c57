import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { createAccount } from '../../service/accounts.js';
import { AccountOut, accountOut, BEARER_ERRORS, BODY_ERRORS, Email, errors, Name, Password, UserOut, userOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Body = z.object({
  name: Name,
  customerId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9-]{3,40}$/, 'letters, digits and dashes, 3 to 40')
    .optional(),
  maxApplications: z.number().int().min(0).max(10_000).optional(),
  maxKeysPerApplication: z.number().int().min(0).max(10_000).optional(),
  plan: z
    .string()
    .max(50)
    .nullable()
    .optional()
    .describe(
      'A plan of the catalogue file (400 UNKNOWN_PLAN otherwise): its limits apply and its quota is granted, as PATCH gives a plan',
    ),
  admin: z.object({ email: Email, name: Name, password: Password }),
});

export function registerCreateAccount(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'createAccount',
        summary: 'Create a customer account and its first admin (operator only)',
        description:
          "The operator only (others get 403 FORBIDDEN). Creates the account and its first admin user in one transaction; `customerId` is generated unless given (409 CUSTOMER_ID_TAKEN when in use), and the admin's email must be free among live users (409 EMAIL_TAKEN). Limits default to the server's settings. An optional `plan` (a plan of the catalogue file, 400 UNKNOWN_PLAN otherwise) is given as PATCH gives it: its limits apply, its quota is granted, and it is audited as `account.set_limits`.",
        security: BEARER,
        body: Body,
        response: {
          201: z.object({ account: AccountOut, admin: UserOut }),
          ...errors([...BODY_ERRORS, ...BEARER_ERRORS, 'FORBIDDEN', 'EMAIL_TAKEN', 'CUSTOMER_ID_TAKEN', 'UNKNOWN_PLAN']),
        },
      },
    },
    async (req, reply) => {
      const { account, admin } = await createAccount(ctx, await actorOf(ctx, req), req.body);
      return reply.status(201).send({ account: accountOut(account), admin: userOut(admin) });
    },
  );
}
