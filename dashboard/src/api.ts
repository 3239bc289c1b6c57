/**
 * The dashboard's connection to Keyward: the SDK's client (@keyward/client, typed from /openapi.json)
 * with the session token from sessionStorage. Pages import the API's types from the SDK directly.
 */
import { KeywardApiError, KeywardClient } from '@keyward/client/management';

const TOKEN_KEY = 'keyward.session';
let onUnauthorized: () => void = () => {};

export const session = {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token: string) {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
  onUnauthorized(fn: () => void) {
    onUnauthorized = fn;
  },
};

export const api = new KeywardClient({
  baseUrl: '',
  token: () => session.token,
  onError(error, request) {
    // A session that expired mid-use sends the user back to the sign-in page; a wrong password does not.
    if (error.status === 401 && request.authenticated && request.path !== '/v1/auth/login') {
      session.clear();
      onUnauthorized();
    }
  },
});

/** The endpoint is not on this server yet (an older Keyward): pages show a notice instead of an error. */
export function isMissingRoute(e: unknown): boolean {
  return e instanceof KeywardApiError && e.code === 'ROUTE_NOT_FOUND';
}
