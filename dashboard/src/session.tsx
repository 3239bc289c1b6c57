import type { Account, Catalogue, Me } from '@keyward/client/management';
import { createContext, useContext } from 'react';

export interface SessionState {
  me: Me;
  catalogue: Catalogue;
  accounts: Account[];
  /** The account every page works in: the user's own, or the one the operator switched to. */
  account: Account;
  switchAccount(id: string): void;
  /** Reloads the account list (after the operator creates or renames one). */
  refreshAccounts(): Promise<void>;
  can(permission: string): boolean;
  isAdmin: boolean;
  signOut(): void;
  /** Ends every session of this user (every browser and device), then this one. */
  signOutEverywhere(): Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

export const ACCOUNT_KEY = 'keyward.account';

/**
 * What the signed-in user may open and do, as the server decides it (src/core/permissions.ts; the
 * server checks again on every call). Navigation, routes and buttons are built from these, so a
 * user never meets a button or page that can only fail.
 */
export const rights = {
  /** Every applications permission implies viewing them (Pelion's table). */
  viewApplications: (s: SessionState) => s.isAdmin || ['view', 'create', 'edit', 'revoke'].some((a) => s.can(`applications.${a}`)),
  viewKeys: (s: SessionState) => s.isAdmin || s.can('keys.view.any') || s.can('keys.view.mine'),
  /** Managing devices implies viewing them. */
  viewDevices: (s: SessionState) => s.isAdmin || s.can('devices.view') || s.can('devices.manage'),
  manageDevices: (s: SessionState) => s.isAdmin || s.can('devices.manage'),
  /** The shared device secret: account admins and the operator, through a session. */
  sharedSecret: (s: SessionState) => s.isAdmin,
  viewUsers: (s: SessionState) => s.isAdmin || s.can('users.view'),
  viewWebhooks: (s: SessionState) => s.isAdmin || s.can('webhooks.view') || s.can('webhooks.manage'),
  audit: (s: SessionState) => s.isAdmin,
  account: (s: SessionState) => s.isAdmin,
  /** Creating accounts and changing their limits and plans. */
  operator: (s: SessionState) => s.me.user.isOperator,
} satisfies Record<string, (s: SessionState) => boolean>;

/** The sentence shown beside an action the user cannot take (a disabled button's title and hint). */
export const NO_RIGHT_HINT = 'Your administrator can grant this permission on the Users page.';
