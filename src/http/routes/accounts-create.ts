import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { createAccount } from '../../service/accounts.js';
import { AccountOut, accountOut, Email, errorResponses, Name, Password, UserOut, userOut } from '../schemas.js';
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
  admin: z.object({ email: Email, name: Name, password: Password }),
});

export function registerCreateAccount(app: App, ctx: Runtime) {
  app.post(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create a customer account and its first admin (operator only)',
        security: BEARER,
        body: Body,
        response: { 201: z.object({ account: AccountOut, admin: UserOut }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { account, admin } = await createAccount(ctx, await actorOf(ctx, req), req.body);
      return reply.status(201).send({ account: accountOut(account), admin: userOut(admin) });
    },
  );
}
