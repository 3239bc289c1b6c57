import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { authorizeRequest, type GatewayDecision, identityHeaders } from '../../auth/authorize-request.js';
import type { Runtime } from '../../compose.js';
import { isKeywardError } from '../../core/errors.js';
import { HTTP_METHODS } from '../../core/path-pattern.js';
import { ErrorBody } from '../schemas.js';
import type { App } from '../types.js';

const OriginalUri = z.string().min(1).max(8192).describe("The caller's path and query (nginx: $request_uri)");
const OriginalMethod = z.string().min(1).max(16).describe("The caller's method (nginx: $request_method)");
const CommonHeaders = {
  authorization: z.string().max(8192).optional().describe("The caller's credential: `Bearer <key>`, `<key>` or a CTN1 signature"),
  'x-content-sha256': z.string().max(128).optional().describe("Hex SHA-256 of the caller's body, for signed requests"),
};
const Headers = z.looseObject({ 'x-original-uri': OriginalUri, 'x-original-method': OriginalMethod, ...CommonHeaders });
const PrefixedHeaders = z.looseObject({
  'x-original-uri': OriginalUri.optional(),
  'x-original-method': OriginalMethod.optional(),
  ...CommonHeaders,
});

const Out = z.object({
  allowed: z.literal(true),
  accountId: z.string(),
  customerId: z.string(),
  keyId: z.string().nullable(),
  applicationId: z.string().nullable(),
  kind: z.enum(['application', 'customer', 'device']),
  scope: z.string().describe('The scope whose grant matched'),
});

const PREFIX = '/v1/authorize';
const METHODS = HTTP_METHODS.filter((m) => m !== 'HEAD'); // HEAD comes with GET
const response = { 200: Out, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody };

async function answer(ctx: Runtime, req: FastifyRequest, reply: FastifyReply, method: string, uri: string) {
  const h = req.headers;
  let decision: GatewayDecision;
  try {
    decision = await authorizeRequest(ctx, {
      authorization: h.authorization,
      method,
      uri,
      host: typeof h['x-original-host'] === 'string' ? h['x-original-host'] : undefined,
      contentSha256: typeof h['x-content-sha256'] === 'string' ? h['x-content-sha256'] : undefined,
      headers: h,
    });
  } catch (e) {
    // nginx drops the body of a denied auth subrequest; the code survives as a header it can log.
    if (isKeywardError(e)) reply.header('x-keyward-error', e.code);
    throw e;
  }
  reply.headers({ ...identityHeaders(decision), 'cache-control': 'no-store' });
  return {
    allowed: true as const,
    accountId: decision.identity.accountId,
    customerId: decision.customerId,
    keyId: decision.identity.keyId,
    applicationId: decision.identity.applicationId,
    kind: decision.identity.kind,
    scope: decision.scope,
  };
}

/**
 * The gateway endpoint. It answers for any method, since nginx's subrequest and Envoy's
 * check request carry the caller's, and ignores any body: auth_request sends none, and a
 * signed body is represented by X-Content-SHA256.
 */
export function registerAuthorize(app: App, ctx: Runtime) {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => {
      payload.resume();
      payload.on('end', () => done(null, undefined));
    });

    scope.route({
      method: METHODS,
      url: PREFIX,
      schema: {
        tags: ['verification'],
        summary: "Authorize a request to the operator's API (nginx auth_request)",
        description:
          "Reads the caller's credential and X-Original-Method / X-Original-URI (both required). 200 with X-Keyward-Account-Id, X-Keyward-Customer-Id, X-Keyward-Key-Id, X-Keyward-Application-Id and X-Keyward-Key-Kind (and X-Keyward-Device-Id for a signed device request); 401 for a bad credential (keys: MALFORMED, NOT_FOUND, REVOKED, EXPIRED, DISABLED, UNAUTHORIZED, UNSUPPORTED_CREDENTIAL; CTN1 device signatures, with X-BCoT-Timestamp, X-Original-Host and optional X-Content-SHA256: MISSING_HEADERS, BAD_TIMESTAMP, TIMESTAMP_OUT_OF_WINDOW, MALFORMED_AUTHORIZATION, SIGN_DATE_OUT_OF_RANGE, INVALID_SIGNATURE, DEVICE_DISABLED, REPLAYED, SECRET_UNAVAILABLE); 403 SCOPE_DENIED when no scope grants the method and path; 503 STORE_UNAVAILABLE when the credential is not cached and the database does not answer in time (fail closed). Denials carry X-Keyward-Error: <code>.",
        headers: Headers,
        response,
      },
      handler: async (req, reply) => {
        const h = req.headers as unknown as z.infer<typeof Headers>;
        return answer(ctx, req, reply, h['x-original-method'], h['x-original-uri']);
      },
    });

    scope.route({
      method: METHODS,
      url: `${PREFIX}/*`,
      schema: {
        tags: ['verification'],
        summary: "Authorize a request to the operator's API, path appended (Envoy ext_authz path_prefix)",
        description:
          "Envoy's ext_authz HTTP service sends the caller's method to `path_prefix` + the caller's path and query: `/v1/authorize/integration/device/status?eui=…` authorizes `/integration/device/status?eui=…`. X-Original-Method / X-Original-URI win when present. Answers as GET /v1/authorize.",
        headers: PrefixedHeaders,
        response,
      },
      handler: async (req, reply) => {
        const h = req.headers as unknown as z.infer<typeof PrefixedHeaders>;
        return answer(ctx, req, reply, h['x-original-method'] ?? req.method, h['x-original-uri'] ?? req.url.slice(PREFIX.length));
      },
    });
  });
}
