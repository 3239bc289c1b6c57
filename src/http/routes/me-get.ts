import { z } from 'zod';
import type { Runtime } from '../../compose.js';
import { findUser } from '../../store/repos/users.js';
import { BEARER_ERRORS, errors, INPUT_ERRORS, UserOut, userOut } from '../schemas.js';
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
    {
      schema: {
        tags: ['auth'],
        operationId: 'getMe',
        summary: 'Who am I, and what may I do',
        description:
          'Any management credential (session token, or access key with keyward: scopes). The user behind it, the key used (`viaKeyId`, null for a session), and what this credential may do: through a key, its management scopes narrowed to what the user holds.',
        security: BEARER,
        response: { 200: Out, ...errors([...INPUT_ERRORS, ...BEARER_ERRORS]) },
      },
    },
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
