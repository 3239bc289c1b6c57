import { z } from 'zod';
import { login } from '../../auth/session.js';
import type { Runtime } from '../../compose.js';
import { BODY_ERRORS, Email, errors, Timestamp, UserOut, userOut } from '../schemas.js';
import type { App } from '../types.js';

const Body = z.object({ email: Email, password: z.string().min(1).max(200) });
const Out = z.object({ token: z.string(), expiresAt: Timestamp, user: UserOut });

export function registerLogin(app: App, ctx: Runtime) {
  app.post(
    '/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        operationId: 'login',
        summary: 'Sign in and get a session token',
        description:
          'Anyone. A wrong password and an unknown email give the same 401 INVALID_CREDENTIALS. Throttled per email and client address: after 5 attempts each further one waits 1 s, 2 s, 4 s … up to 15 minutes (429 RATE_LIMITED with `details.retryAfterSeconds` and Retry-After). The token (`kws_…`) is sent as `Authorization: Bearer <token>` until `expiresAt` or sign-out.',
        security: [], // no management credential
        body: Body,
        response: { 200: Out, ...errors([...BODY_ERRORS, 'INVALID_CREDENTIALS', 'RATE_LIMITED', 'STORE_UNAVAILABLE']) },
      },
    },
    async (req) => {
      const { token, expiresAt, user } = await login(ctx, req.body.email, req.body.password, req.ip);
      return { token, expiresAt, user: userOut(user) };
    },
  );
}
