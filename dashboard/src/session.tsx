import type { Account, Catalogue, Me } from '@keyward/client/management';
import { createContext, useContext } from 'react';

export interface SessionState {
  me: Me;
  catalogue: Catalogue;
  accounts: Account[];
  /** The account every page works in: the user's own, or the one the operator switched to. */
  account: Account;
  switchAccount(id: string): void;
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
