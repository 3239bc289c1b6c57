/**
 * Management permissions (Pelion's "Permissions for this feature" table). `.any` acts on
 * every application of the account, `.mine` only on applications the user created.
 */
export const PERMISSIONS = [
  'applications.view',
  'applications.create',
  'applications.edit',
  'applications.revoke',
  'keys.view.any',
  'keys.view.mine',
  'keys.create.any',
  'keys.create.mine',
  'keys.edit.any',
  'keys.edit.mine',
  'keys.revoke.any',
  'keys.revoke.mine',
  'devices.view',
  'devices.manage',
  'users.view',
  'webhooks.view',
  'webhooks.manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** Access keys may carry management permissions as scopes under this prefix. */
export const MANAGEMENT_SCOPE_PREFIX = 'keyward:';

/**
 * Rights only a signed-in user holds: an access key never carries them, so a leaked key can
 * never read who the account's people are (the first step of taking one over).
 */
export const SESSION_ONLY_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>(['users.view']);

/** Whether `value` is a permission an access key may carry as `keyward:<value>`. */
export function isKeyPermission(value: string): value is Permission {
  return isPermission(value) && !SESSION_ONLY_PERMISSIONS.has(value);
}

export type KeyAction = 'view' | 'create' | 'edit' | 'revoke';
export type AppAction = 'view' | 'create' | 'edit' | 'revoke';

/** Who is acting: a user's effective rights, already narrowed by the credential used. */
export interface Principal {
  userId: string;
  accountId: string | null;
  isOperator: boolean;
  isAdmin: boolean;
  permissions: ReadonlySet<Permission>;
  /** API and management scopes this principal may put on a key it creates. */
  grantableScopes: ReadonlySet<string>;
  /** Set when the caller authenticated with an access key rather than a session. */
  viaKeyId: string | null;
  /** Set when the caller authenticated with a dashboard session: the session's id. */
  viaSessionId: string | null;
}

function has(p: Principal, perm: Permission): boolean {
  return p.permissions.has(perm);
}

/** Every application-level action also implies viewing, as Pelion's table states. */
export function canOnApplications(p: Principal, action: AppAction): boolean {
  if (action === 'view') {
    return has(p, 'applications.view') || has(p, 'applications.create') || has(p, 'applications.edit') || has(p, 'applications.revoke');
  }
  return has(p, `applications.${action}`);
}

/** Whether the principal may perform `action` on keys of an application created by `appCreatorId`. */
export function canOnKeysOf(p: Principal, action: KeyAction, appCreatorId: string): boolean {
  if (has(p, `keys.${action}.any`)) return true;
  return has(p, `keys.${action}.mine`) && appCreatorId === p.userId;
}

/** Whether the principal may act on keys of at least some application (for listing filters). */
export function mayActOnSomeKeys(p: Principal, action: KeyAction): 'any' | 'mine' | 'none' {
  if (has(p, `keys.${action}.any`)) return 'any';
  if (has(p, `keys.${action}.mine`)) return 'mine';
  return 'none';
}

export const ALL_PERMISSIONS: ReadonlySet<Permission> = new Set(PERMISSIONS);

export type DeviceAction = 'view' | 'manage';

/** Managing devices implies viewing them. */
export function canOnDevices(p: Principal, action: DeviceAction): boolean {
  if (action === 'view') return has(p, 'devices.view') || has(p, 'devices.manage');
  return has(p, 'devices.manage');
}

/** Admins see every user of their account; members need `users.view` (never held through a key). */
export function canViewUsers(p: Principal): boolean {
  return p.isOperator || p.isAdmin || has(p, 'users.view');
}

/** Managing webhook endpoints (and the leak policy) implies viewing them and their deliveries. */
export function canOnWebhooks(p: Principal, what: 'view' | 'manage'): boolean {
  if (what === 'view') return has(p, 'webhooks.view') || has(p, 'webhooks.manage');
  return has(p, 'webhooks.manage');
}
