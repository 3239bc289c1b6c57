import type { FastifyReply, FastifyRequest, FastifySchema, RouteHandlerMethod } from 'fastify';
import { z } from 'zod';
import { VERIFY_CODES } from '../../auth/access-key.js';
import { authorizeRequest, type GatewayDecision, identityHeaders } from '../../auth/authorize-request.js';
import { SIGNATURE_CODES } from '../../auth/device-signature.js';
import type { Runtime } from '../../compose.js';
import { ERROR_CODES, type ErrorCode, isKeywardError } from '../../core/errors.js';
import { HTTP_METHODS } from '../../core/path-pattern.js';
import { countingErrorHandler } from '../errors.js';
import { bindLogIds } from '../log-options.js';
import { limitsOfError, rateLimitHeaders } from '../ratelimit-headers.js';
import { errors } from '../schemas.js';
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

/**
 * The 401 codes: a refused credential answers with its verification result (auth/gateway-credential.ts),
 * except VALID and INSUFFICIENT_SCOPE, which become UNAUTHORIZED (no scopes are required of a
 * gateway credential; the catalogue decides, 403 SCOPE_DENIED).
 */
function rejectionsOf(codes: readonly string[]): ErrorCode[] {
  return codes
    .filter((c) => c !== 'VALID' && c !== 'INSUFFICIENT_SCOPE' && c !== 'RATE_LIMITED' && c !== 'USAGE_EXCEEDED')
    .map((c) => {
      if (!(c in ERROR_CODES)) throw new Error(`verification code ${c} is not in ERROR_CODES: /v1/authorize could not send it`);
      return c as ErrorCode;
    });
}
const REJECTIONS = ['UNAUTHORIZED', 'UNSUPPORTED_CREDENTIAL', ...rejectionsOf(VERIFY_CODES), ...rejectionsOf(SIGNATURE_CODES)] as [
  ErrorCode,
  ...ErrorCode[],
];

/** Its own component, so gateway clients see exactly the credential answers of /v1/authorize. */
export const CredentialRejectionCode = z.enum(REJECTIONS).meta({
  id: 'CredentialRejectionCode',
  description:
    "Why /v1/authorize refused the caller's credential (401): `UNAUTHORIZED` (none sent), `UNSUPPORTED_CREDENTIAL` (another scheme, e.g. Basic); for keys their verification result `MALFORMED`, `NOT_FOUND`, `REVOKED`, `EXPIRED`, `DISABLED` (also: the key's account no longer exists); for CTN1 device signatures their signature result. Error codes of the one table that carry the VerifyResultCode / SignatureResultCode of the same name.",
});

/** The caller's credential, in Authorization: what /v1/authorize judges (components.securitySchemes.gateway). */
const GATEWAY = [{ gateway: [] }];

const PREFIX = '/v1/authorize';
const METHODS = HTTP_METHODS.filter((m) => m !== 'HEAD'); // HEAD comes with GET
const OTHER_METHODS = METHODS.filter((m) => m !== 'GET');
const response = {
  200: Out,
  ...errors(['VALIDATION_FAILED', ...REJECTIONS, 'SCOPE_DENIED', 'RATE_LIMITED', 'USAGE_EXCEEDED', 'STORE_UNAVAILABLE'], {
    401: CredentialRejectionCode,
  }),
};
/** Each path is documented once, as GET; this lists the methods it answers alike (the contract test reads it). */
const ANY_METHOD = { 'x-keyward-methods': [...METHODS, 'HEAD'] };

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
    if (isKeywardError(e)) {
      reply.header('x-keyward-error', e.code);
      reply.headers(rateLimitHeaders(limitsOfError(e.details)));
    }
    throw e;
  }
  ctx.metrics?.authorized('authorize', 'allowed');
  bindLogIds(req.log, { accountId: decision.identity.accountId, keyId: decision.identity.keyId, deviceId: decision.identity.deviceId });
  reply.headers({ ...identityHeaders(decision), ...rateLimitHeaders(decision.limits?.limits), 'cache-control': 'no-store' });
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

    // Refusals (thrown, or a schema failure before the handler) are counted with their error code.
    const counting = ctx.metrics && { errorHandler: countingErrorHandler((code) => ctx.metrics?.authorized('authorize', code)) };
    const route = (url: string, doc: FastifySchema, handler: RouteHandlerMethod) => {
      // One documented operation per path; the other methods share its schema, hidden from the document.
      scope.route({ method: 'GET', url, schema: { ...doc, ...ANY_METHOD }, handler, ...counting });
      scope.route({ method: OTHER_METHODS, url, schema: { ...doc, hide: true }, handler, ...counting });
    };

    route(
      PREFIX,
      {
        tags: ['verification'],
        operationId: 'authorize',
        summary: "Authorize a request to the operator's API (nginx auth_request)",
        description:
          "For the gateway in front of the operator's API; the credential checked is the caller's, in Authorization (no management credential). Every method is answered alike (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS; documented once, as GET): the caller's method and URI are X-Original-Method / X-Original-URI (both required, else 400 VALIDATION_FAILED), and any body is ignored. 200 with X-Keyward-Account-Id, X-Keyward-Customer-Id, X-Keyward-Key-Id, X-Keyward-Application-Id and X-Keyward-Key-Kind (and X-Keyward-Device-Id for a signed device request); 401 for a refused credential (a CredentialRejectionCode; CTN1 device signatures also need X-BCoT-Timestamp, X-Original-Host and, for a body, X-Content-SHA256); 403 SCOPE_DENIED when no scope grants the method and path; 429 RATE_LIMITED (with Retry-After) or USAGE_EXCEEDED when the key or its account is over a rate limit or out of credits (checked after the catalogue: refused requests consume nothing). A key with rate limits gets RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset and RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers-06) on 200 and 429; 503 STORE_UNAVAILABLE when the credential is not cached and the database does not answer in time (fail closed). Denials carry X-Keyward-Error: <code>. Only allowed requests count as a use of the key or device; a 429 counts as a refusal (`rejected` in usage).",
        security: GATEWAY,
        headers: Headers,
        response,
      },
      async (req, reply) => {
        const h = req.headers as unknown as z.infer<typeof Headers>;
        return answer(ctx, req, reply, h['x-original-method'], h['x-original-uri']);
      },
    );

    route(
      `${PREFIX}/*`,
      {
        tags: ['verification'],
        operationId: 'authorizePathAppended',
        summary: "Authorize a request to the operator's API, path appended (Envoy ext_authz path_prefix)",
        description:
          "For the gateway, as GET /v1/authorize, in the form Envoy's ext_authz HTTP service sends: the caller's own method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS; documented once, as GET) to `path_prefix` + the caller's path and query: `/v1/authorize/integration/device/status?eui=…` authorizes the request's method on `/integration/device/status?eui=…`. X-Original-Method / X-Original-URI win when present. Any body is ignored. Answers as GET /v1/authorize.",
        security: GATEWAY,
        headers: PrefixedHeaders,
        response,
      },
      async (req, reply) => {
        const h = req.headers as unknown as z.infer<typeof PrefixedHeaders>;
        return answer(ctx, req, reply, h['x-original-method'] ?? req.method, h['x-original-uri'] ?? req.url.slice(PREFIX.length));
      },
    );
  });
}
