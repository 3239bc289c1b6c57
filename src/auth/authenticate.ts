import { KeywardError } from '../core/errors.js';
import { KEY_PREFIX } from '../core/key-format.js';
import type { Principal } from '../core/permissions.js';
import { keyManagementPermissions, keyPrincipal, sessionPrincipal } from '../core/rights.js';
import { findUser } from '../store/repos/users.js';
import { recordUse, verifyKey } from './access-key.js';
import type { AuthCtx } from './context.js';
import { SESSION_PREFIX, sessionUser } from './session.js';

/**
 * Management API credentials: a dashboard session token, or an access key that carries
 * management scopes (`keyward:…`). A key is first of all a credential for the operator's API:
 * one without any management scope is not a management credential at all (401), so a leaked
 * verify-only key can never act as its creator. Every other failure is the same 401 so a
 * caller learns nothing about which tokens exist.
 */
export async function authenticate(ctx: AuthCtx, token: string | undefined): Promise<Principal> {
  if (!token) throw new KeywardError('UNAUTHORIZED', 'Send Authorization: Bearer <session token or access key>.');
  if (token.startsWith(SESSION_PREFIX)) {
    const found = await sessionUser(ctx, token);
    if (found) return sessionPrincipal(found.user, ctx.catalogue, found.sessionId);
  } else if (token.startsWith(KEY_PREFIX)) {
    const result = await verifyKey(ctx, token);
    if (result.valid) {
      if (keyManagementPermissions(result.scopes).length === 0) {
        throw new KeywardError(
          'UNAUTHORIZED',
          'This access key carries no keyward: management scope, so it cannot call the management API.',
        );
      }
      const creator = await findUser(ctx.store.db, result.createdBy);
      if (creator && creator.deletedAt === null) {
        recordUse(ctx, result);
        return keyPrincipal(creator, result.keyId, result.scopes, ctx.catalogue);
      }
    }
  }
  throw new KeywardError('UNAUTHORIZED', 'The token is invalid, expired or revoked.');
}
