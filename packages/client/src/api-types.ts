/**
 * Names for the types of Keyward's API, all derived from the generated `paths` (./openapi.ts,
 * built from /openapi.json by scripts/gen-api-types.ts). Nothing here is written by hand: when the
 * server's schemas change, regenerating openapi.ts changes these types, and code that no longer
 * fits the API stops compiling.
 */
import type { paths } from './openapi.js';

export type { paths } from './openapi.js';

export type HttpMethod = 'get' | 'put' | 'post' | 'patch' | 'delete';
type SuccessStatus = 200 | 201 | 202 | 204;

/** The documented paths that have an operation for `M`. */
export type PathWith<M extends HttpMethod> = {
  [P in keyof paths]: [NonNullable<paths[P][M]>] extends [never] ? never : P;
}[keyof paths];

export type Operation<P extends keyof paths, M extends HttpMethod> = NonNullable<paths[P][M]>;

type JsonOf<R> = R extends { content: { 'application/json': infer J } } ? J : never;

/** The JSON body of an operation's success response. */
export type ResponseOf<O> = O extends { responses: infer R } ? JsonOf<R[Extract<keyof R, SuccessStatus>]> : never;
/** The JSON bodies of an operation's error responses. */
export type ErrorResponseOf<O> = O extends { responses: infer R } ? JsonOf<R[Exclude<keyof R, SuccessStatus>]> : never;
/** The JSON request body an operation takes (`never` when it takes none). */
export type BodyOf<O> = O extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never;
export type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
export type PathParamsOf<O> = O extends { parameters: { path: infer X } } ? X : never;

type Ok<P extends keyof paths, M extends HttpMethod> = ResponseOf<Operation<P, M>>;
type In<P extends keyof paths, M extends HttpMethod> = BodyOf<Operation<P, M>>;
type Query<P extends keyof paths, M extends HttpMethod> = QueryOf<Operation<P, M>>;

// What the API answers.
export type Session = Ok<'/v1/auth/login', 'post'>;
export type Me = Ok<'/v1/me', 'get'>;
export type Catalogue = Ok<'/v1/catalogue', 'get'>;
export type Account = Ok<'/v1/accounts/{accountId}', 'get'>;
export type CreatedAccount = Ok<'/v1/accounts', 'post'>;
/** A plan of the catalogue (GET /v1/plans: the operator and account admins). */
export type Plan = Ok<'/v1/plans', 'get'>['plans'][number];
export type User = Ok<'/v1/accounts/{accountId}/users/{userId}', 'get'>;
export type Permission = User['permissions'][number];
export type Application = Ok<'/v1/accounts/{accountId}/applications/{applicationId}', 'get'>;
export type AccessKey = Ok<'/v1/accounts/{accountId}/keys/{keyId}', 'get'>;
/** A new key: `key` is the secret, shown only in this response. */
export type CreatedKey = Ok<'/v1/accounts/{accountId}/applications/{applicationId}/keys', 'post'>;
export type RotatedKey = Ok<'/v1/accounts/{accountId}/keys/{keyId}/rotate', 'post'>;
export type KeyVerification = Ok<'/v1/keys/verify', 'post'>;
export type KeyVerificationCode = KeyVerification['code'];
export type Device = Ok<'/v1/accounts/{accountId}/devices/{deviceId}', 'get'>;
/** A created or reset device: `secret` is its new own secret (shown once), null when it uses the shared one. */
export type DeviceWithSecret = Ok<'/v1/accounts/{accountId}/devices', 'post'>;
export type SharedSecret = Ok<'/v1/accounts/{accountId}/shared-secret', 'get'>;
export type SharedSecretReset = Ok<'/v1/accounts/{accountId}/shared-secret/reset', 'post'>;
export type AuditPage = Ok<'/v1/accounts/{accountId}/audit', 'get'>;
export type AuditEvent = AuditPage['events'][number];
export type UsageSeries = Ok<'/v1/accounts/{accountId}/usage', 'get'>['series'][number];
/** A device's hourly signed requests: `count` let through, `rejected` refused by its account's limits. */
export type DeviceUsageSeries = Ok<'/v1/accounts/{accountId}/usage', 'get'>['devices'][number];
export type SignatureVerification = Ok<'/v1/signatures/verify', 'post'>;
export type SignatureCode = SignatureVerification['code'];
export type WebhookEndpoint = Ok<'/v1/accounts/{accountId}/webhooks/{webhookId}', 'get'>;
/** A new endpoint: `secret` is its signing secret, shown only in this response. */
export type CreatedWebhook = Ok<'/v1/accounts/{accountId}/webhooks', 'post'>;
export type WebhookDelivery = Ok<'/v1/accounts/{accountId}/webhooks/{webhookId}/deliveries', 'get'>['deliveries'][number];
export type WebhookEventType = WebhookEndpoint['eventTypes'][number];
export type LeakPolicy = Ok<'/v1/accounts/{accountId}/leak-policy', 'get'>;

// What the API takes.
export type CreateAccountInput = In<'/v1/accounts', 'post'>;
export type UpdateAccountInput = In<'/v1/accounts/{accountId}', 'patch'>;
export type CreateUserInput = In<'/v1/accounts/{accountId}/users', 'post'>;
export type UpdateUserInput = In<'/v1/accounts/{accountId}/users/{userId}', 'patch'>;
export type CreateApplicationInput = In<'/v1/accounts/{accountId}/applications', 'post'>;
export type UpdateApplicationInput = In<'/v1/accounts/{accountId}/applications/{applicationId}', 'patch'>;
export type CreateKeyInput = In<'/v1/accounts/{accountId}/applications/{applicationId}/keys', 'post'>;
export type CreateCustomerKeyInput = Omit<In<'/v1/accounts/{accountId}/keys', 'post'>, 'kind'>;
export type UpdateKeyInput = In<'/v1/accounts/{accountId}/keys/{keyId}', 'patch'>;
export type RotateKeyInput = In<'/v1/accounts/{accountId}/keys/{keyId}/rotate', 'post'>;
export type DeleteKeyInput = In<'/v1/accounts/{accountId}/keys/{keyId}', 'delete'>;
export type CreateDeviceInput = In<'/v1/accounts/{accountId}/devices', 'post'>;
export type UpdateDeviceInput = In<'/v1/accounts/{accountId}/devices/{deviceId}', 'patch'>;
export type ResetDeviceSecretInput = In<'/v1/accounts/{accountId}/devices/{deviceId}/reset-secret', 'post'>;
export type ResetSharedSecretInput = In<'/v1/accounts/{accountId}/shared-secret/reset', 'post'>;
export type SignedRequestInput = In<'/v1/signatures/verify', 'post'>;
export type CreateWebhookInput = In<'/v1/accounts/{accountId}/webhooks', 'post'>;
export type UpdateWebhookInput = In<'/v1/accounts/{accountId}/webhooks/{webhookId}', 'patch'>;
export type WebhookDeliveriesQuery = Query<'/v1/accounts/{accountId}/webhooks/{webhookId}/deliveries', 'get'>;
export type ListKeysQuery = Query<'/v1/accounts/{accountId}/keys', 'get'>;
export type ListApplicationKeysQuery = Query<'/v1/accounts/{accountId}/applications/{applicationId}/keys', 'get'>;
export type ListApplicationsQuery = Query<'/v1/accounts/{accountId}/applications', 'get'>;
export type ListDevicesQuery = Query<'/v1/accounts/{accountId}/devices', 'get'>;
export type ListUsersQuery = Query<'/v1/accounts/{accountId}/users', 'get'>;
export type AuditQuery = Query<'/v1/accounts/{accountId}/audit', 'get'>;
export type UsageQuery = Query<'/v1/accounts/{accountId}/usage', 'get'>;

/** Every error code the document lists (plain `string` while it lists none as an enum). */
export type ApiErrorCode = {
  [P in keyof paths]: { [M in HttpMethod]: ErrorResponseOf<NonNullable<paths[P][M]>> }[HttpMethod];
}[keyof paths] extends infer E
  ? E extends { error: { code: infer C } }
    ? C
    : never
  : never;
