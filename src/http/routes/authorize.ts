import { z } from 'zod';
import { isKeywardError } from '../../core/errors.js';
import { HTTP_METHODS } from '../../core/path-pattern.js';
import { authorizeRequest, type GatewayDecision, identityHeaders } from '../../service/authorize.js';
import type { Ctx } from '../../service/context.js';
import { ErrorBody } from '../schemas.js';
import type { App } from '../types.js';

const Headers = z.looseObject({
  'x-original-uri': z.string().min(1).max(8192).describe("The caller's path and query (nginx: $request_uri)"),
  'x-original-method': z.string().min(1).max(16).describe("The caller's method (nginx: $request_method)"),
  authorization: z.string().max(8192).optional().describe("The caller's credential: `Bearer <key>`, `<key>` or a CTN1 signature"),
  'x-content-sha256': z.string().max(128).optional().describe("Hex SHA-256 of the caller's body, for signed requests"),
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
 * The gateway endpoint (nginx auth_request, Envoy ext_authz). It answers for any method,
 * since nginx's subrequest inherits the caller's, and ignores any body: auth_request
 * sends none, and a signed body is represented by X-Content-SHA256.
 */
export function registerAuthorize(app: App, ctx: Ctx) {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => {
      payload.resume();
      payload.on('end', () => done(null, undefined));
    });
    scope.route({
      method: HTTP_METHODS.filter((m) => m !== 'HEAD'),
      url: '/v1/authorize',
      schema: {
        tags: ['verification'],
        summary: "Authorize a request to the operator's API (nginx auth_request, Envoy ext_authz)",
        description:
          "Reads the caller's credential and X-Original-Method / X-Original-URI. 200 with X-Keyward-Account-Id, X-Keyward-Customer-Id, X-Keyward-Key-Id, X-Keyward-Application-Id and X-Keyward-Key-Kind; 401 (MALFORMED, NOT_FOUND, REVOKED, EXPIRED, DISABLED, UNAUTHORIZED, UNSUPPORTED_CREDENTIAL) for a bad credential; 403 SCOPE_DENIED when no scope grants the method and path.",
        headers: Headers,
        response: { 200: Out, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
      handler: async (req, reply) => {
        // Validated by the Headers schema above; Fastify's header type does not narrow from it.
        const h = req.headers as unknown as z.infer<typeof Headers>;
        let decision: GatewayDecision;
        try {
          decision = await authorizeRequest(ctx, {
            authorization: h.authorization,
            method: h['x-original-method'],
            uri: h['x-original-uri'],
            host: typeof h['x-original-host'] === 'string' ? h['x-original-host'] : undefined,
            contentSha256: h['x-content-sha256'],
            headers: req.headers,
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
      },
    });
  });
}
