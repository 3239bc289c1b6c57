/**
 * Typed calls to Keyward's management API with a session token or an access key. Every request
 * and response type comes from the generated OpenAPI types (./api-types.ts); this file only says
 * which operation each method calls. No Node built-ins: it runs in browsers too (the dashboard).
 */
import type {
  AuditQuery,
  BodyOf,
  CreateAccountInput,
  CreateApplicationInput,
  CreateCustomerKeyInput,
  CreateDeviceInput,
  CreateKeyInput,
  CreateUserInput,
  CreateWebhookInput,
  DeleteKeyInput,
  HttpMethod,
  LeakPolicy,
  ListApplicationKeysQuery,
  ListApplicationsQuery,
  ListDevicesQuery,
  ListKeysQuery,
  ListUsersQuery,
  Operation,
  PathParamsOf,
  PathWith,
  QueryOf,
  ResetDeviceSecretInput,
  ResetSharedSecretInput,
  ResponseOf,
  RotateKeyInput,
  SignedRequestInput,
  UpdateAccountInput,
  UpdateApplicationInput,
  UpdateDeviceInput,
  UpdateKeyInput,
  UpdateUserInput,
  UpdateWebhookInput,
  UsageQuery,
  WebhookDeliveriesQuery,
} from './api-types.js';
import { KeywardApiError } from './errors.js';

export * from './api-types.js';
export { type ClientErrorCode, KeywardApiError } from './errors.js';

/** The exact text the shared-secret reset requires. */
export const SHARED_SECRET_RESET_CONFIRMATION = 'Yes, I do confirm it';

export interface RequestDescription {
  method: string;
  /** Path and query, without the base URL. */
  path: string;
  /** Whether the request carried a token. */
  authenticated: boolean;
  /**
   * Whether the token option answers another token now than when the request was sent (signed out
   * and in again meanwhile): a 401 then speaks of the old session, not of the current one.
   */
  stale: boolean;
}

export interface KeywardClientOptions {
  /** e.g. `https://keyward.example.com`; `''` in a browser page served by Keyward itself. */
  baseUrl: string;
  /** A dashboard session token or an access key with `keyward:` management scopes; a function is asked on every request. */
  token?: string | (() => string | null | undefined) | undefined;
  fetch?: typeof fetch | undefined;
  /** Sees every failure before it is thrown, e.g. to return to a sign-in page when a session expires (401). */
  onError?: ((error: KeywardApiError, request: RequestDescription) => void) | undefined;
}

type QueryValue = string | number | boolean | null | undefined;
type Slot<K extends string, T> = [T] extends [never] ? { [_ in K]?: undefined } : { [_ in K]: T };
/** What `call` needs for one operation: its path parameters, query and body, each only when it has them. */
export type CallInput<O> = Slot<'params', PathParamsOf<O>> & Partial<Slot<'query', QueryOf<O>>> & Slot<'body', BodyOf<O>>;

const NO_ANSWER = 'Keyward could not be reached. Check your connection and try again.';

export class KeywardClient {
  private readonly baseUrl: string;
  private readonly token: () => string | null | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly onError: KeywardClientOptions['onError'];

  constructor(opts: KeywardClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    const token = opts.token;
    this.token = typeof token === 'function' ? token : () => token;
    // Called unbound: a browser's fetch throws "Illegal invocation" when called as a method of another object.
    const f = opts.fetch ?? globalThis.fetch;
    this.fetchFn = (input, init) => f(input, init);
    this.onError = opts.onError;
  }

  /**
   * Any documented operation, typed from the OpenAPI document:
   * `call('get', '/v1/accounts/{accountId}/keys', { params: { accountId }, query: { kind: 'customer' } })`.
   */
  call<M extends HttpMethod, P extends PathWith<M>>(
    method: M,
    path: P,
    // `input` may be left out when the operation has nothing required (no path parameters, no body).
    ...[input]: Partial<CallInput<Operation<P, M>>> extends CallInput<Operation<P, M>>
      ? [input?: CallInput<Operation<P, M>>]
      : [input: CallInput<Operation<P, M>>]
  ): Promise<ResponseOf<Operation<P, M>>> {
    const { params, query, body } = (input ?? {}) as {
      params?: Record<string, string>;
      query?: Record<string, QueryValue>;
      body?: unknown;
    };
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params?.[name] ?? ''));
    return this.request(method.toUpperCase(), url + queryString(query), body);
  }

  /** A raw call: `path` includes the query; the answer is not typed. Prefer `call` or the named methods. */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const token = this.token() ?? undefined;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const fail = (error: KeywardApiError): never => {
      this.onError?.(error, { method, path, authenticated: Boolean(token), stale: (this.token() ?? undefined) !== token });
      throw error;
    };
    let res: Response;
    try {
      res = await this.fetchFn(`${this.baseUrl}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
    } catch (cause) {
      return fail(new KeywardApiError(0, 'NETWORK_ERROR', NO_ANSWER, null, undefined, { cause }));
    }
    const text = await res.text().catch(() => '');
    const json: any = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const e = json?.error;
      return fail(
        new KeywardApiError(
          res.status,
          typeof e?.code === 'string' ? e.code : `HTTP_${res.status}`,
          typeof e?.message === 'string' ? e.message : `The server answered ${res.status}.`,
          typeof e?.requestId === 'string' ? e.requestId : res.headers.get('x-request-id'),
          e?.details,
        ),
      );
    }
    return json as T;
  }

  // Session
  login(email: string, password: string) {
    return this.call('post', '/v1/auth/login', { body: { email, password } });
  }
  /** Ends the session whose token this client sends. */
  logout() {
    return this.call('post', '/v1/auth/logout');
  }
  /** Ends every session of the signed-in user, this one included. */
  logoutAll() {
    return this.call('post', '/v1/auth/logout-all');
  }
  getMe() {
    return this.call('get', '/v1/me');
  }
  getCatalogue() {
    return this.call('get', '/v1/catalogue');
  }

  // Accounts
  listAccounts() {
    return this.call('get', '/v1/accounts');
  }
  /** The operator: every account's users, active applications and keys, devices and last 7 days' uses. */
  listAccountUsage() {
    return this.call('get', '/v1/accounts/usage');
  }
  createAccount(input: CreateAccountInput) {
    return this.call('post', '/v1/accounts', { body: input });
  }
  getAccount(accountId: string) {
    return this.call('get', '/v1/accounts/{accountId}', { params: { accountId } });
  }
  updateAccount(accountId: string, patch: UpdateAccountInput) {
    return this.call('patch', '/v1/accounts/{accountId}', { params: { accountId }, body: patch });
  }
  /** The catalogue's plans (the operator, and account admins). */
  listPlans() {
    return this.call('get', '/v1/plans');
  }

  // Users
  /** Search, sort, filters and pages: see the query's fields (`limit` + `nextCursor` as `cursor`). */
  listUsers(accountId: string, query: ListUsersQuery = {}) {
    return this.call('get', '/v1/accounts/{accountId}/users', { params: { accountId }, query });
  }
  createUser(accountId: string, input: CreateUserInput) {
    return this.call('post', '/v1/accounts/{accountId}/users', { params: { accountId }, body: input });
  }
  getUser(accountId: string, userId: string) {
    return this.call('get', '/v1/accounts/{accountId}/users/{userId}', { params: { accountId, userId } });
  }
  updateUser(accountId: string, userId: string, patch: UpdateUserInput) {
    return this.call('patch', '/v1/accounts/{accountId}/users/{userId}', { params: { accountId, userId }, body: patch });
  }
  /** Your own password needs the current one; the user's other sessions end. */
  changePassword(accountId: string, userId: string, input: { currentPassword: string; password: string }) {
    return this.updateUser(accountId, userId, input);
  }
  deleteUser(accountId: string, userId: string) {
    return this.call('delete', '/v1/accounts/{accountId}/users/{userId}', { params: { accountId, userId } });
  }

  // Applications
  listApplications(accountId: string, opts: { includeRevoked?: boolean } & Omit<ListApplicationsQuery, 'include'> = {}) {
    const { includeRevoked, ...query } = opts;
    return this.call('get', '/v1/accounts/{accountId}/applications', {
      params: { accountId },
      query: { ...query, ...include({ includeRevoked }) },
    });
  }
  createApplication(accountId: string, input: CreateApplicationInput) {
    return this.call('post', '/v1/accounts/{accountId}/applications', { params: { accountId }, body: input });
  }
  getApplication(accountId: string, applicationId: string) {
    return this.call('get', '/v1/accounts/{accountId}/applications/{applicationId}', { params: { accountId, applicationId } });
  }
  updateApplication(accountId: string, applicationId: string, patch: UpdateApplicationInput) {
    return this.call('patch', '/v1/accounts/{accountId}/applications/{applicationId}', {
      params: { accountId, applicationId },
      body: patch,
    });
  }
  revokeApplication(accountId: string, applicationId: string) {
    return this.call('post', '/v1/accounts/{accountId}/applications/{applicationId}/revoke', { params: { accountId, applicationId } });
  }

  // Access keys
  createKey(accountId: string, applicationId: string, input: CreateKeyInput) {
    return this.call('post', '/v1/accounts/{accountId}/applications/{applicationId}/keys', {
      params: { accountId, applicationId },
      body: input,
    });
  }
  /** A key that belongs to the account rather than an application (e.g. billing access). */
  createCustomerKey(accountId: string, input: CreateCustomerKeyInput) {
    return this.call('post', '/v1/accounts/{accountId}/keys', { params: { accountId }, body: { kind: 'customer', ...input } });
  }
  listApplicationKeys(
    accountId: string,
    applicationId: string,
    opts: { includeRevoked?: boolean } & Omit<ListApplicationKeysQuery, 'include'> = {},
  ) {
    const { includeRevoked, ...query } = opts;
    return this.call('get', '/v1/accounts/{accountId}/applications/{applicationId}/keys', {
      params: { accountId, applicationId },
      query: { ...query, ...include({ includeRevoked }) },
    });
  }
  /** Every key of the account the caller may view. */
  listKeys(accountId: string, opts: { includeRevoked?: boolean } & Omit<ListKeysQuery, 'include'> = {}) {
    const { includeRevoked, ...query } = opts;
    return this.call('get', '/v1/accounts/{accountId}/keys', {
      params: { accountId },
      query: { ...query, ...include({ includeRevoked }) },
    });
  }
  getKey(accountId: string, keyId: string) {
    return this.call('get', '/v1/accounts/{accountId}/keys/{keyId}', { params: { accountId, keyId } });
  }
  updateKey(accountId: string, keyId: string, patch: UpdateKeyInput) {
    return this.call('patch', '/v1/accounts/{accountId}/keys/{keyId}', { params: { accountId, keyId }, body: patch });
  }
  revokeKey(accountId: string, keyId: string) {
    return this.call('post', '/v1/accounts/{accountId}/keys/{keyId}/revoke', { params: { accountId, keyId } });
  }
  /** A new key with the same scopes; the old one keeps working for `overlapSeconds`. */
  rotateKey(accountId: string, keyId: string, input: RotateKeyInput) {
    return this.call('post', '/v1/accounts/{accountId}/keys/{keyId}/rotate', { params: { accountId, keyId }, body: input });
  }
  /** `confirm`: the key's application ID (application key) or the account's customer ID (customer key). */
  deleteKey(accountId: string, keyId: string, input: DeleteKeyInput) {
    return this.call('delete', '/v1/accounts/{accountId}/keys/{keyId}', { params: { accountId, keyId }, body: input });
  }
  verifyKey(key: string, scopes?: string[]) {
    return this.call('post', '/v1/keys/verify', { body: { key, ...(scopes && { scopes }) } });
  }

  // Audit and usage
  /** Newest first; pass the answer's `nextCursor` as `cursor` for the next page (null: no more). */
  listAuditEvents(accountId: string, query: AuditQuery = {}) {
    return this.call('get', '/v1/accounts/{accountId}/audit', { params: { accountId }, query });
  }
  getUsage(accountId: string, query: UsageQuery = {}) {
    return this.call('get', '/v1/accounts/{accountId}/usage', { params: { accountId }, query });
  }

  // Devices
  createDevice(accountId: string, input: CreateDeviceInput) {
    return this.call('post', '/v1/accounts/{accountId}/devices', { params: { accountId }, body: input });
  }
  listDevices(accountId: string, query: ListDevicesQuery = {}) {
    return this.call('get', '/v1/accounts/{accountId}/devices', { params: { accountId }, query });
  }
  getDevice(accountId: string, deviceId: string) {
    return this.call('get', '/v1/accounts/{accountId}/devices/{deviceId}', { params: { accountId, deviceId } });
  }
  updateDevice(accountId: string, deviceId: string, patch: UpdateDeviceInput) {
    return this.call('patch', '/v1/accounts/{accountId}/devices/{deviceId}', { params: { accountId, deviceId }, body: patch });
  }
  deleteDevice(accountId: string, deviceId: string) {
    return this.call('delete', '/v1/accounts/{accountId}/devices/{deviceId}', { params: { accountId, deviceId } });
  }
  resetDeviceSecret(accountId: string, deviceId: string, input: ResetDeviceSecretInput) {
    return this.call('post', '/v1/accounts/{accountId}/devices/{deviceId}/reset-secret', { params: { accountId, deviceId }, body: input });
  }
  getSharedSecret(accountId: string) {
    return this.call('get', '/v1/accounts/{accountId}/shared-secret', { params: { accountId } });
  }
  /** Pass `confirm: SHARED_SECRET_RESET_CONFIRMATION` to show you mean it. */
  resetSharedSecret(accountId: string, input: ResetSharedSecretInput) {
    return this.call('post', '/v1/accounts/{accountId}/shared-secret/reset', { params: { accountId }, body: input });
  }
  verifySignature(input: SignedRequestInput) {
    return this.call('post', '/v1/signatures/verify', { body: input });
  }

  // Webhook endpoints of an account (docs/webhooks.md).
  listWebhooks(accountId: string) {
    return this.call('get', '/v1/accounts/{accountId}/webhooks', { params: { accountId } });
  }
  /** The answer's `secret` is the endpoint's signing secret, shown only here. */
  createWebhook(accountId: string, input: CreateWebhookInput) {
    return this.call('post', '/v1/accounts/{accountId}/webhooks', { params: { accountId }, body: input });
  }
  getWebhook(accountId: string, webhookId: string) {
    return this.call('get', '/v1/accounts/{accountId}/webhooks/{webhookId}', { params: { accountId, webhookId } });
  }
  updateWebhook(accountId: string, webhookId: string, patch: UpdateWebhookInput) {
    return this.call('patch', '/v1/accounts/{accountId}/webhooks/{webhookId}', { params: { accountId, webhookId }, body: patch });
  }
  deleteWebhook(accountId: string, webhookId: string) {
    return this.call('delete', '/v1/accounts/{accountId}/webhooks/{webhookId}', { params: { accountId, webhookId } });
  }
  listWebhookDeliveries(accountId: string, webhookId: string, query: WebhookDeliveriesQuery = {}) {
    return this.call('get', '/v1/accounts/{accountId}/webhooks/{webhookId}/deliveries', { params: { accountId, webhookId }, query });
  }
  redeliverWebhook(accountId: string, webhookId: string, deliveryId: string) {
    return this.call('post', '/v1/accounts/{accountId}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver', {
      params: { accountId, webhookId, deliveryId },
    });
  }
  /** Queues a webhook.test event for this endpoint only. */
  testWebhook(accountId: string, webhookId: string) {
    return this.call('post', '/v1/accounts/{accountId}/webhooks/{webhookId}/test', { params: { accountId, webhookId } });
  }

  // What happens to a key reported leaked (POST /v1/leaks).
  getLeakPolicy(accountId: string) {
    return this.call('get', '/v1/accounts/{accountId}/leak-policy', { params: { accountId } });
  }
  setLeakPolicy(accountId: string, policy: LeakPolicy) {
    return this.call('put', '/v1/accounts/{accountId}/leak-policy', { params: { accountId }, body: policy });
  }
}

function include(opts: { includeRevoked?: boolean | undefined }): { include?: 'revoked' } {
  return opts.includeRevoked ? { include: 'revoked' } : {};
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  const str = s.toString();
  return str ? `?${str}` : '';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
