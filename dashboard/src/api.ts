/**
 * The dashboard's connection to Keyward: the SDK's client (@keyward/client, typed from /openapi.json)
 * with the session token. Pages import the API's types from the SDK directly.
 *
 * The token lives in sessionStorage (per tab, gone when the tab closes, never written to disk for
 * later). A new tab of the same origin asks the open ones for it over a BroadcastChannel ("handoff"),
 * so a deep link opened in a new tab needs no second sign-in while the dashboard is open somewhere;
 * once every tab is closed the next one asks for the password again. Signing out in one tab signs
 * out every tab holding the same token. Why this and not localStorage: docs/security.md.
 */
import { KeywardApiError, KeywardClient } from '@keyward/client/management';
import { safeNextPath } from './next';

const TOKEN_KEY = 'keyward.session';
const ACCOUNT_KEY = 'keyward.account';
/** How long a new tab waits for an open tab to answer before showing the sign-in page. */
export const HANDOFF_WAIT_MS = 250;

let onUnauthorized: () => void = () => {};
let onSignedOutElsewhere: () => void = () => {};

type Message =
  | { type: 'ask'; id: string }
  | { type: 'answer'; to: string; token: string; account: string | null }
  | { type: 'signed-out'; token: string };

const channel: BroadcastChannel | null = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('keyward.session');
const waiting = new Map<string, (m: { token: string; account: string | null }) => void>();

channel?.addEventListener('message', (e: MessageEvent<Message>) => {
  const m = e.data;
  if (!m || typeof m !== 'object') return;
  const mine = sessionStorage.getItem(TOKEN_KEY);
  if (m.type === 'ask' && mine && typeof m.id === 'string') {
    channel.postMessage({ type: 'answer', to: m.id, token: mine, account: sessionStorage.getItem(ACCOUNT_KEY) } satisfies Message);
  } else if (m.type === 'answer' && typeof m.token === 'string') {
    waiting.get(m.to)?.({ token: m.token, account: typeof m.account === 'string' ? m.account : null });
  } else if (m.type === 'signed-out' && mine && m.token === mine) {
    // Another tab signed this session out: this tab follows (no second logout call).
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ACCOUNT_KEY);
    onSignedOutElsewhere();
  }
});

export const session = {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token: string) {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  /** Forgets the token in this tab and in every other tab holding the same one. */
  clear() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ACCOUNT_KEY);
    if (token) channel?.postMessage({ type: 'signed-out', token } satisfies Message);
  },
  onUnauthorized(fn: () => void) {
    onUnauthorized = fn;
  },
  onSignedOutElsewhere(fn: () => void) {
    onSignedOutElsewhere = fn;
  },
  /**
   * A tab without a token asks the open tabs of this origin for theirs; resolves true when one
   * answered within HANDOFF_WAIT_MS (the token, and the operator's chosen account, are then stored).
   */
  async handoff(): Promise<boolean> {
    if (!channel || sessionStorage.getItem(TOKEN_KEY)) return sessionStorage.getItem(TOKEN_KEY) !== null;
    // Not a secret: it only pairs the answer with this question (crypto.randomUUID needs https).
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const got = await new Promise<{ token: string; account: string | null } | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), HANDOFF_WAIT_MS);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      channel.postMessage({ type: 'ask', id } satisfies Message);
    });
    waiting.delete(id);
    if (!got) return false;
    sessionStorage.setItem(TOKEN_KEY, got.token);
    if (got.account) sessionStorage.setItem(ACCOUNT_KEY, got.account);
    return true;
  },
};

export const api = new KeywardClient({
  baseUrl: '',
  token: () => session.token,
  onError(error, request) {
    // A session that expired mid-use sends the user back to the sign-in page; a wrong password does not.
    // A late 401 of a session already replaced (signed out, then in again) must not end the new one.
    if (error.status === 401 && request.authenticated && !request.stale && request.path !== '/v1/auth/login') {
      session.clear();
      onUnauthorized();
    }
  },
});

/** The endpoint is not on this server yet (an older Keyward): pages show a notice instead of an error. */
export function isMissingRoute(e: unknown): boolean {
  return e instanceof KeywardApiError && e.code === 'ROUTE_NOT_FOUND';
}

/** Where to go after signing in: a path of this dashboard from `?next=`, else "/" (dashboard/src/next.ts). */
export const safeNext = (raw: string | null | undefined): string => safeNextPath(raw, location.origin);

/** The sign-in page's address that comes back to `path` (the current page when omitted). */
export function loginPath(path = location.pathname + location.search + location.hash): string {
  const next = safeNext(path);
  return next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`;
}
