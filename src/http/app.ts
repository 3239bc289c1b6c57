import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyServerOptions, LogController } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Runtime } from '../compose.js';
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
import { registerMe } from './routes/me-get.js';
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
import type { App } from './types.js';
import { registerUpstreamProxy } from './upstream-proxy.js';

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  /** Fastify's two lines per request at info; when false, one line per response at debug instead. */
  requestLogging?: boolean;
}

export async function buildApp(ctx: Runtime, opts: AppOptions = {}): Promise<App> {
  const bodyLimit = 1024 * 1024;
  const logError = (err: unknown) => app.log.error({ err }, 'unhandled error');
  const fastVerify = ctx.config.fastVerify ? createFastVerify(ctx, { bodyLimit, logError }) : undefined;
  const app = Fastify({
    logger: loggerOptions(opts.logger),
    ...(opts.requestLogging === false && { logController: new LogController({ disableRequestLogging: true }) }),
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
      ),
    clientErrorHandler,
    frameworkErrors,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
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
      info: { title: 'Keyward API', version: '0.1.0', description: 'Issue, scope, rotate, revoke and verify API credentials.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerHealth(app, ctx);
  registerReady(app, ctx);
  registerCatalogue(app, ctx);
  registerLogin(app, ctx);
  registerLogout(app, ctx);
  registerLogoutAll(app, ctx);
  registerMe(app, ctx);
  registerCreateAccount(app, ctx);
  registerListAccounts(app, ctx);
  registerGetAccount(app, ctx);
  registerUpdateAccount(app, ctx);
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
  await registerDashboard(app, ctx);
  return app;
}
