import type { CatalogueIndex } from './catalogue.js';
import type { User } from './model.js';
import {
  ALL_PERMISSIONS,
  isKeyPermission,
  MANAGEMENT_SCOPE_PREFIX,
  type Permission,
  type Principal,
  SESSION_ONLY_PERMISSIONS,
} from './permissions.js';

/**
 * What a user holds: admins and the operator hold every permission and every catalogue scope.
 * `scopes` is what they may put on a key, so it never names a session-only permission.
 */
export function userRights(user: User, catalogue: CatalogueIndex): { permissions: Set<Permission>; scopes: Set<string> } {
  const privileged = user.isOperator || user.isAdmin;
  const permissions = new Set<Permission>(privileged ? ALL_PERMISSIONS : user.permissions);
  const apiScopes = privileged ? [...catalogue.scopeNames] : catalogue.expand(user.apiScopes).scopes;
  const scopes = new Set<string>(apiScopes);
  for (const p of permissions) if (!SESSION_ONLY_PERMISSIONS.has(p)) scopes.add(MANAGEMENT_SCOPE_PREFIX + p);
  return { permissions, scopes };
}

/** A user acting directly: through a dashboard session (its id), or the CLI next to the store (null). */
export function sessionPrincipal(user: User, catalogue: CatalogueIndex, sessionId: string | null): Principal {
  const { permissions, scopes } = userRights(user, catalogue);
  return {
    userId: user.id,
    accountId: user.accountId,
    isOperator: user.isOperator,
    isAdmin: user.isAdmin,
    permissions,
    grantableScopes: scopes,
    viaKeyId: null,
    viaSessionId: sessionId,
  };
}

/** The management permissions a key's scopes name (`keyward:<permission>`), whoever created it. */
export function keyManagementPermissions(keyScopes: readonly string[]): Permission[] {
  const found: Permission[] = [];
  for (const s of keyScopes) {
    if (!s.startsWith(MANAGEMENT_SCOPE_PREFIX)) continue;
    const p = s.slice(MANAGEMENT_SCOPE_PREFIX.length);
    if (isKeyPermission(p)) found.push(p);
  }
  return found;
}

/**
 * A caller using an access key acts as the key's creator, narrowed to the management scopes
 * the key holds: never more than the creator holds today, never account-admin powers, never
 * a session-only right.
 */
export function keyPrincipal(creator: User, keyId: string, keyScopes: readonly string[], catalogue: CatalogueIndex): Principal {
  const { permissions, scopes } = userRights(creator, catalogue);
  const held = new Set(keyScopes);
  const narrowedPermissions = new Set<Permission>(keyManagementPermissions(keyScopes).filter((p) => permissions.has(p)));
  return {
    userId: creator.id,
    accountId: creator.accountId,
    isOperator: false,
    isAdmin: false,
    permissions: narrowedPermissions,
    grantableScopes: new Set([...scopes].filter((s) => held.has(s))),
    viaKeyId: keyId,
    viaSessionId: null,
  };
}
