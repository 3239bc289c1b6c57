import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyServerOptions, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Runtime } from '../compose.js';
import { SERVER_WIDE_ERROR_CODES } from '../core/errors.js';
import type { Metrics } from '../metrics/registry.js';
import { registerDashboard } from './dashboard.js';
import { errorHandler, frameworkErrors, notFoundHandler } from './errors.js';
import { createFastVerify } from './fast-verify.js';
import { registerInputGuards } from './input-guards.js';
import { loggedUrl, loggerOptions } from './log-options.js';
import { clientErrorHandler, createNodeServer, type RawHandler } from './node-server.js';
import { newRequestId } from './request-id.js';
import { registerCreateAccount } from './routes/accounts-create.js';
import { registerGetAccount } from './routes/accounts-get.js';
import { registerListAccounts } from './routes/accounts-list.js';
import { registerUpdateAccount } from './routes/accounts-update.js';
import { registerAccountUsage } from './routes/accounts-usage.js';
import { registerCreateApplication } from './routes/applications-create.js';
import { registerGetApplication } from './routes/applications-get.js';
import { registerListApplications } from './routes/applications-list.js';
import { registerRevokeApplication } from './routes/applications-revoke.js';
import { registerUpdateApplication } from './routes/applications-update.js';
import { registerListAudit } from './routes/audit-list.js';
import { registerLogin } from './routes/auth-login.js';
import { registerLogout } from './routes/auth-logout.js';
import { registerLogoutAll } from './routes/auth-logout-all.js';
import { registerAuthorize } from './routes/authorize.js';
import { registerCatalogue } from './routes/catalogue-get.js';
import { registerCreateDevice } from './routes/devices-create.js';
import { registerDeleteDevice } from './routes/devices-delete.js';
import { registerGetDevice } from './routes/devices-get.js';
import { registerListDevices } from './routes/devices-list.js';
import { registerResetDeviceSecret } from './routes/devices-reset-secret.js';
import { registerUpdateDevice } from './routes/devices-update.js';
import { registerHealth } from './routes/health.js';
import { registerCreateKey } from './routes/keys-create.js';
import { registerCreateCustomerKey } from './routes/keys-create-customer.js';
import { registerDeleteKey } from './routes/keys-delete.js';
import { registerGetKey } from './routes/keys-get.js';
import { registerListKeys } from './routes/keys-list.js';
import { registerListApplicationKeys } from './routes/keys-list-application.js';
import { registerRevokeKey } from './routes/keys-revoke.js';
import { registerRotateKey } from './routes/keys-rotate.js';
import { registerUpdateKey } from './routes/keys-update.js';
import { registerVerifyKey } from './routes/keys-verify.js';
import { registerGetLeakPolicy } from './routes/leak-policy-get.js';
import { registerUpdateLeakPolicy } from './routes/leak-policy-update.js';
import { registerReportLeaks } from './routes/leaks-report.js';
import { registerMe } from './routes/me-get.js';
import { registerMetrics } from './routes/metrics.js';
import { registerListPlans } from './routes/plans-list.js';
import { registerReady } from './routes/readyz.js';
import { registerGetSharedSecret } from './routes/shared-secret-get.js';
import { registerResetSharedSecret } from './routes/shared-secret-reset.js';
import { registerVerifySignature } from './routes/signatures-verify.js';
import { registerGetUsage } from './routes/usage-get.js';
import { registerCreateUser } from './routes/users-create.js';
import { registerDeleteUser } from './routes/users-delete.js';
import { registerGetUser } from './routes/users-get.js';
import { registerListUsers } from './routes/users-list.js';
import { registerUpdateUser } from './routes/users-update.js';
import { registerCreateWebhook } from './routes/webhooks-create.js';
import { registerDeleteWebhook } from './routes/webhooks-delete.js';
import { registerListWebhookDeliveries } from './routes/webhooks-deliveries.js';
import { registerGetWebhook } from './routes/webhooks-get.js';
import { registerListWebhooks } from './routes/webhooks-list.js';
import { registerRedeliverWebhook } from './routes/webhooks-redeliver.js';
import { registerRotateWebhookSecret } from './routes/webhooks-rotate-secret.js';
import { registerTestWebhook } from './routes/webhooks-test.js';
import { registerUpdateWebhook } from './routes/webhooks-update.js';
import { describeCode } from './schemas.js';
import type { App } from './types.js';
import { registerUpstreamProxy } from './upstream-proxy.js';

const serverWide = SERVER_WIDE_ERROR_CODES.map((c) => `- ${describeCode(c)}`).join('\n');

const DOCUMENT_DESCRIPTION = `Issue, scope, rotate, revoke and verify API credentials.

**Errors.** Every error is \`{"error":{"code","message","requestId"}}\` (sometimes with \`details\`), with a stable \`code\` from one table (the \`ErrorCode\` schema). Each operation lists, per status, exactly the codes it can answer; every operation can also answer 500 \`INTERNAL_ERROR\`. Every route refuses a NUL character anywhere in its query, path or body (400 \`VALIDATION_FAILED\`), and every POST, PATCH and DELETE reads a body when one is sent (400 \`MALFORMED_JSON\`, 413 \`PAYLOAD_TOO_LARGE\` above 1 MiB, 415 \`UNSUPPORTED_MEDIA_TYPE\`), so those are listed too.

**Server-wide errors.** Any request, to any path, can also be refused before it reaches an operation, with the \`FrameworkError\` body:
${serverWide}

A request for a path or method no operation has is 404 \`ROUTE_NOT_FOUND\`, unless its body or query is refused first with one of the 400/413/415 codes above.

**Results are not errors.** \`POST /v1/keys/verify\` and \`POST /v1/signatures/verify\` answer 200 with a \`code\` from \`VerifyResultCode\` / \`SignatureResultCode\` (e.g. \`NOT_FOUND\`: the presented key does not exist), a separate namespace from the error codes (e.g. \`KEY_NOT_FOUND\`: the management API has no such key).`;

const TAGS = [
  { name: 'auth', description: 'Sessions: sign in and out, and who the caller is' },
  { name: 'accounts', description: 'Customer accounts (the operator creates them)' },
  { name: 'users', description: "An account's people and their permissions" },
  { name: 'applications', description: 'Groups of application keys, each owned by the user who created it' },
  { name: 'keys', description: 'Access keys: issue, list, rotate, revoke, delete, usage' },
  { name: 'devices', description: 'Virtual devices signing requests with CTN1-HMAC-SHA256, and the shared secret' },
  { name: 'verification', description: "For the operator's API and gateway: verify keys and signatures, authorize requests" },
  { name: 'audit', description: "The account's audit log" },
  { name: 'webhooks', description: 'Webhook endpoints (Standard Webhooks), their delivery log, and the leaked-key intake' },
  { name: 'catalogue', description: 'The API scopes, roles and management permissions' },
  { name: 'ops', description: 'Liveness, readiness and metrics' },
];

type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;
type Components = { schemas?: Record<string, unknown> } & Record<string, unknown>;

/**
 * The zod transform adds every named schema twice, for input and output (`XInput`); ours are
 * only answers, so an `…Input` twin nothing refers to is dropped. It also gives each one a
 * `$id` of the form `#/components/…`, which JSON Schema does not allow (an `$id` has no
 * fragment), and a `$schema` the document's dialect already says: both are removed.
 */
function tidyComponentSchemas(doc: OpenApiDocument): OpenApiDocument {
  const components = (doc as { components?: Components }).components ?? {};
  const schemas: Record<string, unknown> = {};
  const text = JSON.stringify({ ...doc, components: { ...components, schemas: {} } });
  for (const [name, schema] of Object.entries(components.schemas ?? {})) {
    if (name.endsWith('Input') && !text.includes(`"#/components/schemas/${name}"`)) continue;
    const { $id: _id, $schema: _dialect, ...rest } = schema as Record<string, unknown>;
    schemas[name] = rest;
  }
  return { ...doc, components: { ...components, schemas } } as OpenApiDocument;
}

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  /** Fastify's two lines per request at info; when false, one line per response at debug instead. */
  requestLogging?: boolean;
  /** What GET /metrics renders (src/metrics/registry.ts); absent when metrics are off. */
  metrics?: Metrics | undefined;
}

/**
 * A response schema marked `x-media-type` (e.g. GET /metrics' text) is documented under that
 * media type instead of application/json; its handler sends text with that content type, which Fastify does not serialize.
 */
function mediaTypedResponses(out: ReturnType<typeof jsonSchemaTransform>): ReturnType<typeof jsonSchemaTransform> {
  const schema = out.schema as { response?: Record<string, Record<string, unknown>> } | undefined;
  for (const [status, response] of Object.entries(schema?.response ?? {})) {
    const mediaType = response['x-media-type'];
    if (typeof mediaType !== 'string' || schema?.response === undefined) continue;
    // `$id` (the zod transform's placeholder) and `$schema` are the document's business, not the media type's.
    const { 'x-media-type': _, description, $id: _id, $schema: _dialect, ...rest } = response;
    schema.response[status] = { description, content: { [mediaType]: { schema: rest } } };
  }
  return out;
}

export async function buildApp(ctx: Runtime, opts: AppOptions = {}): Promise<App> {
  const bodyLimit = 1024 * 1024;
  const logError = (err: unknown) => app.log.error({ err }, 'unhandled error');
  const fastVerify = ctx.config.fastVerify ? createFastVerify(ctx, { bodyLimit, logError }) : undefined;
  const app = Fastify({
    logger: loggerOptions(opts.logger),
    // Every line of a request carries its id as `requestId` (the X-Request-Id header and error bodies say the same).
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: opts.requestLogging === false }),
    genReqId: newRequestId,
    bodyLimit,
    // req.ip is the TCP peer unless the operator names the proxies in front (docs/security.md).
    trustProxy: ctx.config.trustProxy,
    // One node:http server with or without the fast path, so its limits are set in one place.
    serverFactory: (handler: RawHandler) =>
      createNodeServer(
        ctx.config.http,
        // The verification hot path is answered on node:http before Fastify (docs/performance.md).
        fastVerify
          ? (req, res) => {
              if (!fastVerify(req, res)) handler(req, res);
            }
          : handler,
        logError,
        ctx.metrics?.countResponse,
      ),
    clientErrorHandler,
    frameworkErrors,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler((route) => {
    const strict = serializerCompiler(route as Parameters<typeof serializerCompiler>[0]);
    if (!/^[45]/.test(String(route.httpStatus))) return strict; // success bodies always pass their schema
    // An error the operation's schema does not list still goes out as itself, never as a 500:
    // the contract test (test/contract.ts) is what keeps the document complete.
    return (data) => {
      try {
        return strict(data);
      } catch {
        app.log.warn(
          { method: route.method, url: route.url, status: route.httpStatus },
          'error response not described in the OpenAPI document',
        );
        return JSON.stringify(data);
      }
    };
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  if (opts.requestLogging === false) {
    app.addHook('onResponse', async (req, reply) => {
      req.log.debug({ status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, `${req.method} ${loggedUrl(req.url)}`);
    });
  }
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  registerInputGuards(app);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keyward API',
        version: '0.1.0',
        description: DOCUMENT_DESCRIPTION,
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'The Keyward server serving this document' }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A dashboard session token (`kws_…`, from POST /v1/auth/login) or an access key (`kw_…`) carrying `keyward:` management scopes.',
          },
          gateway: {
            type: 'apiKey',
            in: 'header',
            // The header's name as the routes' schemas spell it, so it is not listed twice.
            name: 'authorization',
            description:
              "The credential of a caller of the operator's API, as the caller sent it: `Bearer kw_…`, the raw key `kw_…`, or a CTN1-HMAC-SHA256 device signature. Judged by /v1/authorize; it is not a management credential.",
          },
        },
      },
      tags: TAGS,
    },
    transform: (input) => mediaTypedResponses(jsonSchemaTransform(input)),
    transformObject: (input) => tidyComponentSchemas(jsonSchemaTransformObject(input)),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerHealth(app, ctx);
  registerReady(app, ctx);
  registerMetrics(app, ctx, opts.metrics);
  registerCatalogue(app, ctx);
  registerLogin(app, ctx);
  registerLogout(app, ctx);
  registerLogoutAll(app, ctx);
  registerMe(app, ctx);
  registerCreateAccount(app, ctx);
  registerListAccounts(app, ctx);
  registerAccountUsage(app, ctx);
  registerGetAccount(app, ctx);
  registerUpdateAccount(app, ctx);
  registerListPlans(app, ctx);
  registerCreateUser(app, ctx);
  registerListUsers(app, ctx);
  registerGetUser(app, ctx);
  registerUpdateUser(app, ctx);
  registerDeleteUser(app, ctx);
  registerCreateApplication(app, ctx);
  registerListApplications(app, ctx);
  registerGetApplication(app, ctx);
  registerUpdateApplication(app, ctx);
  registerRevokeApplication(app, ctx);
  registerCreateKey(app, ctx);
  registerListApplicationKeys(app, ctx);
  registerListKeys(app, ctx);
  registerGetKey(app, ctx);
  registerUpdateKey(app, ctx);
  registerRevokeKey(app, ctx);
  registerRotateKey(app, ctx);
  registerVerifyKey(app, ctx);
  registerListAudit(app, ctx);
  registerCreateCustomerKey(app, ctx);
  registerDeleteKey(app, ctx);
  registerGetUsage(app, ctx);
  registerAuthorize(app, ctx);
  registerUpstreamProxy(app, ctx);
  registerCreateDevice(app, ctx);
  registerListDevices(app, ctx);
  registerGetDevice(app, ctx);
  registerUpdateDevice(app, ctx);
  registerDeleteDevice(app, ctx);
  registerResetDeviceSecret(app, ctx);
  registerGetSharedSecret(app, ctx);
  registerResetSharedSecret(app, ctx);
  registerVerifySignature(app, ctx);
  registerCreateWebhook(app, ctx);
  registerListWebhooks(app, ctx);
  registerGetWebhook(app, ctx);
  registerUpdateWebhook(app, ctx);
  registerDeleteWebhook(app, ctx);
  registerRotateWebhookSecret(app, ctx);
  registerListWebhookDeliveries(app, ctx);
  registerRedeliverWebhook(app, ctx);
  registerTestWebhook(app, ctx);
  registerReportLeaks(app, ctx);
  registerGetLeakPolicy(app, ctx);
  registerUpdateLeakPolicy(app, ctx);
  await registerDashboard(app, ctx);
  return app;
}
