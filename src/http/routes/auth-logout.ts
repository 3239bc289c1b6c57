import { bearerToken } from '../../auth/bearer.js';
import { logout } from '../../auth/session.js';
import type { Runtime } from '../../compose.js';
import { Ok } from '../schemas.js';
import { type App, BEARER } from '../types.js';

export function registerLogout(app: App, ctx: Runtime) {
  app.post(
    '/v1/auth/logout',
    { schema: { tags: ['auth'], summary: 'End the current session', security: BEARER, response: { 200: Ok } } },
    async (req) => {
      const token = bearerToken(req.headers.authorization);
      if (token) await logout(ctx, token);
      return { ok: true as const };
    },
  );
}
