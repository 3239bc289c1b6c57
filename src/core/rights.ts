import type { CatalogueIndex } from './catalogue.js';
import type { User } from './model.js';
import { ALL_PERMISSIONS, isPermission, MANAGEMENT_SCOPE_PREFIX, type Permission, type Principal } from './permissions.js';

/** What a user holds: admins and the operator hold every permission and every catalogue scope. */
export function userRights(user: User, catalogue: CatalogueIndex): { permissions: Set<Permission>; scopes: Set<string> } {
  const privileged = user.isOperator || user.isAdmin;
  const permissions = new Set<Permission>(privileged ? ALL_PERMISSIONS : user.permissions);
  const apiScopes = privileged ? [...catalogue.scopeNames] : catalogue.expand(user.apiScopes).scopes;
  const scopes = new Set<string>(apiScopes);
  for (const p of permissions) scopes.add(MANAGEMENT_SCOPE_PREFIX + p);
  return { permissions, scopes };
}

export function sessionPrincipal(user: User, catalogue: CatalogueIndex): Principal {
  const { permissions, scopes } = userRights(user, catalogue);
  return {
    userId: user.id,
    accountId: user.accountId,
    isOperator: user.isOperator,
    isAdmin: user.isAdmin,
    permissions,
    grantableScopes: scopes,
    viaKeyId: null,
  };
}

/**
 * A caller using an access key acts as the key's creator, narrowed to what the key holds:
 * never more than the creator holds today, never account-admin powers.
 */
export function keyPrincipal(creator: User, keyId: string, keyScopes: readonly string[], catalogue: CatalogueIndex): Principal {
  const { permissions, scopes } = userRights(creator, catalogue);
  const held = new Set(keyScopes);
  const narrowedPermissions = new Set<Permission>();
  for (const s of held) {
    if (!s.startsWith(MANAGEMENT_SCOPE_PREFIX)) continue;
    const p = s.slice(MANAGEMENT_SCOPE_PREFIX.length);
    if (isPermission(p) && permissions.has(p)) narrowedPermissions.add(p);
  }
  return {
    userId: creator.id,
    accountId: creator.accountId,
    isOperator: false,
    isAdmin: false,
    permissions: narrowedPermissions,
    grantableScopes: new Set([...scopes].filter((s) => held.has(s))),
    viaKeyId: keyId,
  };
}
