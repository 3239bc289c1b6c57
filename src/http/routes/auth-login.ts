import { z } from 'zod';
import { login } from '../../auth/session.js';
import type { Runtime } from '../../compose.js';
import { Email, ErrorBody, Timestamp, UserOut, userOut } from '../schemas.js';
import type { App } from '../types.js';

const Body = z.object({ email: Email, password: z.string().min(1).max(200) });
const Out = z.object({ token: z.string(), expiresAt: Timestamp, user: UserOut });

export function registerLogin(app: App, ctx: Runtime) {
  app.post(
    '/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in and get a session token',
        body: Body,
        response: { 200: Out, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
      },
    },
    async (req) => {
      const { token, expiresAt, user } = await login(ctx, req.body.email, req.body.password, req.ip);
      return { token, expiresAt, user: userOut(user) };
    },
  );
}
