/** Typed calls to Keyward's management API with a session token or an access key. */

export type Millis = number;

export interface Application {
  id: string;
  accountId: string;
  name: string;
  description: string;
  /** `disabled`: its creator was deleted, so its keys stopped working and it takes no new keys. */
  status: 'active' | 'revoked' | 'disabled';
  createdBy: string;
  createdAt: Millis;
  updatedAt: Millis;
  revokedAt: Millis | null;
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
  expiresAt: Millis | null;
  createdBy: string;
  createdAt: Millis;
  updatedAt: Millis;
  revokedAt: Millis | null;
  lastUsedAt: Millis | null;
  usageCount: number;
}

export interface KeyVerification {
  valid: boolean;
  code: string;
  keyId: string | null;
  accountId: string | null;
  applicationId: string | null;
  kind: 'application' | 'customer' | null;
  scopes: string[];
  expiresAt: Millis | null;
}

export interface Device {
  id: string;
  accountId: string;
  name: string;
  status: 'active' | 'disabled';
  secretSource: 'own' | 'shared';
  createdAt: Millis;
  updatedAt: Millis;
  lastUsedAt: Millis | null;
  secretUpdatedAt: Millis;
}

export type SignatureCode =
  | 'VALID'
  | 'MISSING_HEADERS'
  | 'BAD_TIMESTAMP'
  | 'TIMESTAMP_OUT_OF_WINDOW'
  | 'MALFORMED_AUTHORIZATION'
  | 'SIGN_DATE_OUT_OF_RANGE'
  | 'INVALID_SIGNATURE'
  | 'DEVICE_DISABLED'
  | 'REPLAYED'
  | 'SECRET_UNAVAILABLE';

export interface SignatureVerification {
  valid: boolean;
  code: SignatureCode;
  deviceId: string | null;
  accountId: string | null;
}

export interface SignedRequestInput {
  method: string;
  /** Path and query exactly as on the request line. */
  path: string;
  /** The Host header as received, port included. */
  host: string;
  timestamp?: string | undefined;
  authorization?: string | undefined;
  /** Hex SHA-256 of the raw body; omit for an empty body. */
  bodyHash?: string | undefined;
}

/** The exact text the shared-secret reset requires. */
export const SHARED_SECRET_RESET_CONFIRMATION = 'Yes, I do confirm it';

/** A Keyward error response: branch on `code`, quote `requestId` in support requests. */
export class KeywardApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'KeywardApiError';
  }
}

export interface KeywardClientOptions {
  /** e.g. `https://keyward.example.com` */
  baseUrl: string;
  /** A dashboard session token or an access key with `keyward:` management scopes. */
  token?: string | undefined;
  fetch?: typeof fetch | undefined;
}

const seg = encodeURIComponent;

export class KeywardClient {
  private readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly fetchFn: typeof fetch;

  constructor(opts: KeywardClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
    this.fetchFn = opts.fetch ?? fetch;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchFn(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const json: any = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const e = json?.error;
      throw new KeywardApiError(res.status, e?.code ?? 'HTTP_ERROR', e?.message ?? `HTTP ${res.status}`, e?.requestId ?? null, e?.details);
    }
    return json as T;
  }

  // Applications
  listApplications(accountId: string, opts: { includeRevoked?: boolean } = {}) {
    const q = opts.includeRevoked ? '?include=revoked' : '';
    return this.request<{ applications: Application[] }>('GET', `/v1/accounts/${seg(accountId)}/applications${q}`);
  }
  createApplication(accountId: string, input: { name: string; description?: string }) {
    return this.request<Application>('POST', `/v1/accounts/${seg(accountId)}/applications`, input);
  }
  getApplication(accountId: string, applicationId: string) {
    return this.request<Application>('GET', `/v1/accounts/${seg(accountId)}/applications/${seg(applicationId)}`);
  }
  updateApplication(accountId: string, applicationId: string, patch: { name?: string; description?: string }) {
    return this.request<Application>('PATCH', `/v1/accounts/${seg(accountId)}/applications/${seg(applicationId)}`, patch);
  }
  revokeApplication(accountId: string, applicationId: string) {
    return this.request<Application>('POST', `/v1/accounts/${seg(accountId)}/applications/${seg(applicationId)}/revoke`);
  }

  // Access keys
  createKey(
    accountId: string,
    applicationId: string,
    input: { name: string; scopes: string[]; description?: string; expiresAt?: Millis | null },
  ) {
    return this.request<{ key: string; accessKey: AccessKey }>(
      'POST',
      `/v1/accounts/${seg(accountId)}/applications/${seg(applicationId)}/keys`,
      input,
    );
  }
  listKeys(accountId: string, opts: { includeRevoked?: boolean } = {}) {
    const q = opts.includeRevoked ? '?include=revoked' : '';
    return this.request<{ keys: AccessKey[] }>('GET', `/v1/accounts/${seg(accountId)}/keys${q}`);
  }
  getKey(accountId: string, keyId: string) {
    return this.request<AccessKey>('GET', `/v1/accounts/${seg(accountId)}/keys/${seg(keyId)}`);
  }
  revokeKey(accountId: string, keyId: string) {
    return this.request<AccessKey>('POST', `/v1/accounts/${seg(accountId)}/keys/${seg(keyId)}/revoke`);
  }
  verifyKey(key: string, scopes?: string[]) {
    return this.request<KeyVerification>('POST', '/v1/keys/verify', { key, ...(scopes && { scopes }) });
  }

  // Devices
  createDevice(accountId: string, input: { name: string; useSharedSecret?: boolean }) {
    return this.request<{ device: Device; secret: string | null }>('POST', `/v1/accounts/${seg(accountId)}/devices`, input);
  }
  listDevices(accountId: string) {
    return this.request<{ devices: Device[] }>('GET', `/v1/accounts/${seg(accountId)}/devices`);
  }
  getDevice(accountId: string, deviceId: string) {
    return this.request<Device>('GET', `/v1/accounts/${seg(accountId)}/devices/${seg(deviceId)}`);
  }
  updateDevice(accountId: string, deviceId: string, patch: { name?: string; status?: 'active' | 'disabled' }) {
    return this.request<Device>('PATCH', `/v1/accounts/${seg(accountId)}/devices/${seg(deviceId)}`, patch);
  }
  deleteDevice(accountId: string, deviceId: string) {
    return this.request<{ ok: true }>('DELETE', `/v1/accounts/${seg(accountId)}/devices/${seg(deviceId)}`);
  }
  resetDeviceSecret(accountId: string, deviceId: string, input: { useSharedSecret: boolean }) {
    return this.request<{ device: Device; secret: string | null }>(
      'POST',
      `/v1/accounts/${seg(accountId)}/devices/${seg(deviceId)}/reset-secret`,
      input,
    );
  }
  getSharedSecret(accountId: string) {
    return this.request<{ secret: string; updatedAt: Millis }>('GET', `/v1/accounts/${seg(accountId)}/shared-secret`);
  }
  /** Pass `confirm: SHARED_SECRET_RESET_CONFIRMATION` to show you mean it. */
  resetSharedSecret(accountId: string, input: { confirm: string; resetAllDevices?: boolean }) {
    return this.request<{ secret: string; updatedAt: Millis; devicesReset: number }>(
      'POST',
      `/v1/accounts/${seg(accountId)}/shared-secret/reset`,
      input,
    );
  }
  verifySignature(input: SignedRequestInput) {
    return this.request<SignatureVerification>('POST', '/v1/signatures/verify', input);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
