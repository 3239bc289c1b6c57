import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { authenticateLeakReport } from '../../auth/leak-reporter.js';
import type { Runtime } from '../../compose.js';
import { reportLeaks } from '../../service/leaks.js';
import { BODY_ERRORS, errors } from '../schemas.js';
import type { App } from '../types.js';

const Body = z
  .array(
    z.object({
      token: z.string().max(512).describe('The secret found'),
      type: z.string().max(200).describe('The pattern that found it (GitHub: the name you registered)'),
      url: z.string().max(2048).nullable().optional().describe('Where it was found'),
      source: z.string().max(100).optional().describe('GitHub: content, commit, pull_request_comment, npm, …'),
    }),
  )
  .max(1000)
  .describe("GitHub's secret-scanning partner format");

const Out = z
  .array(
    z.object({
      token_hash: z.string().describe('SHA-256 (hex) of the reported token; the token is never echoed'),
      token_type: z.string(),
      label: z.enum(['true_positive', 'false_positive']),
    }),
  )
  .describe("GitHub's false-positive feedback format: one entry per reported token, in order");

/** The raw body, as the signature covers it: kept by this route's own JSON parser. */
const rawBodies = new WeakMap<FastifyRequest, string>();

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export function registerReportLeaks(app: App, ctx: Runtime) {
  // An encapsulated context: only this route parses JSON keeping the raw text.
  app.register(async (scoped: App) => {
    scoped.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      const text = String(body);
      rawBodies.set(req, text);
      if (text.trim() === '') {
        done(
          Object.assign(new Error('Body cannot be empty when content-type is set to application/json'), {
            code: 'FST_ERR_CTP_EMPTY_JSON_BODY',
            statusCode: 400,
          }),
          undefined,
        );
        return;
      }
      try {
        done(null, JSON.parse(text));
      } catch {
        done(Object.assign(new Error('Body is not valid JSON'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }), undefined);
      }
    });
    scoped.post(
      '/v1/leaks',
      {
        schema: {
          tags: ['webhooks'],
          operationId: 'reportLeaks',
          summary: 'Report leaked keys (GitHub secret scanning, or another scanner)',
          description:
            "GitHub's secret-scanning partner endpoint: the body is signed by GitHub (`Github-Public-Key-Identifier`, `Github-Public-Key-Signature`: ECDSA P-256 SHA-256 over the raw body) under a key the operator configured (KEYWARD_GITHUB_SECRET_SCANNING_KEYS_FILE). Other scanners authenticate with `Authorization: Bearer <leak reporter token>` (`keyward leak-reporter-token`). Each token is checked (format, checksum) and looked up; a Keyward key found is handled by its account's leak policy (revoke by default), audited and sent as key.leaked. The answer labels each token true or false positive. 401 UNAUTHORIZED without either credential, 401 INVALID_SIGNATURE when the signature does not verify.",
          security: [],
          headers: z.object({
            'github-public-key-identifier': z.string().max(200).optional(),
            'github-public-key-signature': z.string().max(512).optional(),
          }),
          body: Body,
          response: { 200: Out, ...errors([...BODY_ERRORS, 'UNAUTHORIZED', 'INVALID_SIGNATURE', 'STORE_UNAVAILABLE']) },
        },
      },
      async (req) => {
        const reporter = authenticateLeakReport(
          ctx.config.leaks,
          {
            keyIdentifier: header(req.headers['github-public-key-identifier']),
            signature: header(req.headers['github-public-key-signature']),
            authorization: req.headers.authorization,
          },
          rawBodies.get(req) ?? '',
        );
        return reportLeaks(ctx, reporter.kind === 'github' ? 'github' : 'scanner', req.body);
      },
    );
  });
}
