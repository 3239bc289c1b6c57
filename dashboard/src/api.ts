/** The typed client for Keyward's public management API. The session token lives in sessionStorage. */

export interface User {
  id: string;
  accountId: string | null;
  email: string;
  name: string;
  isOperator: boolean;
  isAdmin: boolean;
  permissions: string[];
  apiScopes: string[];
  createdAt: number;
}
export interface Me {
  user: User;
  viaKeyId: string | null;
  permissions: string[];
  grantableScopes: string[];
}
export interface Account {
  id: string;
  customerId: string;
  name: string;
  maxApplications: number;
  maxKeysPerApplication: number;
  createdAt: number;
}
export interface Application {
  id: string;
  accountId: string;
  name: string;
  description: string;
  /** `disabled`: its creator was deleted, so its keys stopped working and it takes no new keys. */
  status: 'active' | 'revoked' | 'disabled';
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  revokedAt: number | null;
}
export interface AccessKey {
  id: string;
  accountId: string;
  applicationId: string | null;
  kind: 'application' | 'customer';
  name: string;
  description: string;
  start: string;
  scopes: string[];
  roles: string[];
  status: 'active' | 'revoked' | 'expired';
  expiresAt: number | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  usageCount: number;
}
export interface CreatedKey {
  key: string;
  accessKey: AccessKey;
}
export interface Catalogue {
  scopes: { name: string; description: string; keyKinds: ('application' | 'customer')[]; grants: { method: string; path: string }[] }[];
  roles: { name: string; description: string; scopes: string[] }[];
  permissions: string[];
}
export interface Device {
  id: string;
  accountId: string;
  name: string;
  status: 'active' | 'disabled';
  secretSource: 'own' | 'shared';
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number | null;
  secretUpdatedAt: number;
}
export interface SharedSecret {
  secret: string;
  updatedAt: number;
}
export interface AuditEvent {
  id: string;
  accountId: string | null;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  ip: string | null;
  createdAt: number;
  details: Record<string, unknown>;
}
export interface UsageSeries {
  keyId: string;
  points: { t: number; count: number }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

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

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = session.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', 'Keyward could not be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = data?.error;
    const apiError = new ApiError(
      res.status,
      typeof err?.code === 'string' ? err.code : `HTTP_${res.status}`,
      typeof err?.message === 'string' ? err.message : `The server answered ${res.status}.`,
      err?.requestId,
    );
    // A session that expired mid-use sends the user back to the sign-in page; a wrong password does not.
    if (res.status === 401 && token && path !== '/v1/auth/login') {
      session.clear();
      onUnauthorized();
    }
    throw apiError;
  }
  return data as T;
}

const acc = (accountId: string) => `/v1/accounts/${encodeURIComponent(accountId)}`;
const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
  const str = s.toString();
  return str ? `?${str}` : '';
};

export const api = {
  login: (email: string, password: string) =>
    request<{ token: string; expiresAt: number; user: User }>('POST', '/v1/auth/login', { email, password }),
  logout: () => request<{ ok: true }>('POST', '/v1/auth/logout'),
  logoutAll: () => request<{ ok: true; sessionsEnded: number }>('POST', '/v1/auth/logout-all'),
  me: () => request<Me>('GET', '/v1/me'),
  catalogue: () => request<Catalogue>('GET', '/v1/catalogue'),
  accounts: () => request<{ accounts: Account[] }>('GET', '/v1/accounts'),
  account: (a: string) => request<Account>('GET', acc(a)),

  applications: (a: string, includeRevoked = false) =>
    request<{ applications: Application[] }>('GET', `${acc(a)}/applications${q({ include: includeRevoked ? 'revoked' : undefined })}`),
  application: (a: string, id: string) => request<Application>('GET', `${acc(a)}/applications/${id}`),
  createApplication: (a: string, body: { name: string; description?: string }) =>
    request<Application>('POST', `${acc(a)}/applications`, body),
  updateApplication: (a: string, id: string, body: { name?: string; description?: string }) =>
    request<Application>('PATCH', `${acc(a)}/applications/${id}`, body),
  revokeApplication: (a: string, id: string) => request<Application>('POST', `${acc(a)}/applications/${id}/revoke`),

  applicationKeys: (a: string, appId: string, includeRevoked = false) =>
    request<{ keys: AccessKey[] }>('GET', `${acc(a)}/applications/${appId}/keys${q({ include: includeRevoked ? 'revoked' : undefined })}`),
  createApplicationKey: (a: string, appId: string, body: { name: string; description?: string; scopes: string[]; expiresAt?: number }) =>
    request<CreatedKey>('POST', `${acc(a)}/applications/${appId}/keys`, body),
  createCustomerKey: (a: string, body: { name: string; description?: string; scopes: string[]; expiresAt?: number }) =>
    request<CreatedKey>('POST', `${acc(a)}/keys`, { kind: 'customer', ...body }),
  keys: (a: string, opts: { kind?: 'application' | 'customer'; includeRevoked?: boolean } = {}) =>
    request<{ keys: AccessKey[] }>('GET', `${acc(a)}/keys${q({ kind: opts.kind, include: opts.includeRevoked ? 'revoked' : undefined })}`),
  updateKey: (a: string, id: string, body: { name?: string; description?: string }) =>
    request<AccessKey>('PATCH', `${acc(a)}/keys/${id}`, body),
  revokeKey: (a: string, id: string) => request<AccessKey>('POST', `${acc(a)}/keys/${id}/revoke`),
  deleteKey: (a: string, id: string, body: { confirm: string; confirmRecentUse?: boolean }) =>
    request<{ ok: true }>('DELETE', `${acc(a)}/keys/${id}`, body),

  users: (a: string) => request<{ users: User[] }>('GET', `${acc(a)}/users`),
  createUser: (
    a: string,
    body: { email: string; name: string; password: string; isAdmin: boolean; permissions: string[]; apiScopes: string[] },
  ) => request<User>('POST', `${acc(a)}/users`, body),
  updateUser: (a: string, id: string, body: { isAdmin?: boolean; permissions?: string[]; apiScopes?: string[]; name?: string }) =>
    request<User>('PATCH', `${acc(a)}/users/${id}`, body),
  deleteUser: (a: string, id: string) => request<{ ok: true }>('DELETE', `${acc(a)}/users/${id}`),

  devices: (a: string) => request<{ devices: Device[] }>('GET', `${acc(a)}/devices`),
  device: (a: string, id: string) => request<Device>('GET', `${acc(a)}/devices/${id}`),
  createDevice: (a: string, body: { name: string; useSharedSecret: boolean }) =>
    request<{ device: Device; secret: string | null }>('POST', `${acc(a)}/devices`, body),
  updateDevice: (a: string, id: string, body: { name?: string; status?: 'active' | 'disabled' }) =>
    request<Device>('PATCH', `${acc(a)}/devices/${id}`, body),
  deleteDevice: (a: string, id: string) => request<unknown>('DELETE', `${acc(a)}/devices/${id}`),
  resetDeviceSecret: (a: string, id: string, useSharedSecret: boolean) =>
    request<{ device: Device; secret: string | null }>('POST', `${acc(a)}/devices/${id}/reset-secret`, { useSharedSecret }),

  sharedSecret: (a: string) => request<SharedSecret>('GET', `${acc(a)}/shared-secret`),
  resetSharedSecret: (a: string, body: { confirm: string; resetAllDevices: boolean }) =>
    request<SharedSecret & { devicesReset: number }>('POST', `${acc(a)}/shared-secret/reset`, body),

  usage: (a: string, opts: { keyId?: string; from: number; to: number }) =>
    request<{ series: UsageSeries[] }>('GET', `${acc(a)}/usage${q(opts)}`),
  audit: (a: string, opts: { limit?: number; cursor?: string } = {}) =>
    request<{ events: AuditEvent[]; nextCursor: string | null }>('GET', `${acc(a)}/audit${q(opts)}`),
};

/** The endpoint is not on this server yet (an older Keyward): pages show a notice instead of an error. */
export function isMissingRoute(e: unknown): boolean {
  return e instanceof ApiError && e.code === 'ROUTE_NOT_FOUND';
}
