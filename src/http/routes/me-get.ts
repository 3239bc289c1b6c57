import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { findUser } from '../../store/repos/users.js';
import { ErrorBody, UserOut, userOut } from '../schemas.js';
import { type App, actorOf, BEARER } from '../types.js';

const Out = z.object({
  user: UserOut,
  viaKeyId: z.string().nullable(),
  permissions: z.array(z.string()).describe('Effective management permissions of this credential'),
  grantableScopes: z.array(z.string()).describe('Scopes this credential may put on a new key'),
});

export function registerMe(app: App, ctx: Runtime) {
  app.get(
    '/v1/me',
    { schema: { tags: ['auth'], summary: 'Who am I, and what may I do', security: BEARER, response: { 200: Out, 401: ErrorBody } } },
    async (req) => {
      const { principal } = await actorOf(ctx, req);
      const user = await findUser(ctx.store.db, principal.userId);
      if (!user) throw new Error('authenticated user vanished');
      return {
        user: userOut(user),
        viaKeyId: principal.viaKeyId,
        permissions: [...principal.permissions].sort(),
        grantableScopes: [...principal.grantableScopes].sort(),
      };
    },
  );
}
