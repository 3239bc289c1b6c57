// openapi-typescript's own linter (a dependency of it, not of ours): the rules it applies, made strict.
import { createConfig } from '@redocly/openapi-core';
import openapiTS from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERIFY_CODES } from '../../src/auth/access-key.js';
import { ERROR_CODES, type ErrorCode, httpStatusOf, SERVER_WIDE_ERROR_CODES } from '../../src/core/errors.js';
import { SIGNATURE_VERIFY_CODES } from '../../src/http/routes/signatures-verify.js';
import { createHarness, DIALECTS, type Harness } from '../harness.js';

/**
 * Issue #13, "OpenAPI as the contract": the rules every operation of /openapi.json follows.
 * The document is read from the running app, so a new route is held to them without editing
 * this file. Whether the answers match the document is test/contract.ts's job (every h.call).
 */
type Schema = { $ref?: string; enum?: string[]; properties?: Record<string, Schema>; description?: string };
type Response = { description?: string; content?: Record<string, { schema?: Schema }> };
type Operation = {
  summary?: string;
  description?: string;
  security?: unknown;
  responses: Record<string, Response>;
  [extension: `x-${string}`]: unknown;
};
type Doc = {
  openapi: string;
  info: { description?: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

describe.skipIf(!DIALECTS[0]?.enabled)('/openapi.json', () => {
  let h: Harness;
  let doc: Doc;
  beforeAll(async () => {
    h = await createHarness(DIALECTS[0]!);
    const res = await h.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(async () => h?.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
    );
  const resolve = (s: Schema | undefined): Schema | undefined =>
    s?.$ref ? doc.components.schemas[s.$ref.replace('#/components/schemas/', '')] : s;
  const codeEnumOf = (response: Response) =>
    resolve(response.content?.['application/json']?.schema?.properties?.error?.properties?.code)?.enum;

  it("is OpenAPI 3.1 that Redocly's recommended rules pass as errors-free, and types can be generated from it", async () => {
    expect(doc.openapi).toBe('3.1.0');
    // OpenAPI 3.1 allows any name in a path template; Redocly reads only word characters, so the
    // Envoy form's `{*}` is renamed in the copy it checks (the rule stays on for every other path).
    const copy = JSON.parse(JSON.stringify(doc).replaceAll('{*}', '{rest}').replaceAll('"name":"*"', '"name":"rest"'));
    const redocly = await createConfig({ extends: ['recommended'] });
    // openapi-typescript throws on the first problem of severity error, after printing all of them.
    await expect(openapiTS(copy, { redocly, silent: true })).resolves.toBeDefined();
  });

  it('every operation says who may call it and what it does', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(40);
    const weak = ops.filter(({ op }) => !op.summary || (op.description ?? '').length < 40).map(({ name }) => name);
    expect(weak).toEqual([]);
  });

  it('every error response lists codes of the one table whose status is that status, with their messages', () => {
    const wrong: string[] = [];
    for (const { name, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const codes = codeEnumOf(response);
        if (!codes || codes.length === 0) {
          wrong.push(`${name} ${status}: error.code is not an enum`);
          continue;
        }
        for (const code of codes) {
          if (!(code in ERROR_CODES)) wrong.push(`${name} ${status}: ${code} is not in ERROR_CODES`);
          else if (httpStatusOf(code as ErrorCode) !== Number(status))
            wrong.push(`${name} ${status}: ${code} is ${httpStatusOf(code as ErrorCode)}`);
          else if (!response.description?.includes(`\`${code}\``)) wrong.push(`${name} ${status}: ${code} not described`);
          if ((SERVER_WIDE_ERROR_CODES as readonly string[]).includes(code)) wrong.push(`${name} ${status}: ${code} is server-wide`);
        }
      }
      if (codeEnumOf(op.responses['500'] ?? {})?.join() !== 'INTERNAL_ERROR') wrong.push(`${name}: no 500 INTERNAL_ERROR`);
    }
    expect(wrong).toEqual([]);
  });

  it('no blanket sets: reading never conflicts, public routes never 401/403 on a management credential', () => {
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path]?.[method]?.responses ?? {});
    // The one read that can conflict: a shared secret sealed under another master key (docs/security.md).
    const readConflicts = new Set(['GET /v1/accounts/{accountId}/shared-secret']);
    for (const { name, op } of operations()) {
      if (name.startsWith('GET ') && !readConflicts.has(name)) expect(Object.keys(op.responses), name).not.toContain('409');
    }
    expect(codeEnumOf(doc.paths['/v1/accounts/{accountId}/shared-secret']?.get?.responses['409'] ?? {})).toEqual([
      'SHARED_SECRET_UNREADABLE',
    ]);
    expect(statuses('/v1/accounts', 'get')).toEqual(['200', '400', '401', '500', '503']);
    expect(statuses('/v1/catalogue', 'get')).toEqual(['200', '400', '500']);
    expect(statuses('/v1/keys/verify', 'post')).toEqual(['200', '400', '413', '415', '500', '503']);
    // 429 exactly where the sign-in throttle is (signing in, changing one's own password) and at the gateway
    // (rate limits and quotas, issue #12; the verify endpoint answers those as 200 results).
    const throttled = operations()
      .filter(({ op }) => '429' in op.responses)
      .map(({ name }) => name);
    expect(throttled.sort()).toEqual([
      'GET /v1/authorize',
      'GET /v1/authorize/{*}',
      'PATCH /v1/accounts/{accountId}/users/{userId}',
      'POST /v1/auth/login',
    ]);
    // A body is read by every POST, PATCH and DELETE, so each can be too large or of the wrong type.
    for (const { name, op } of operations()) {
      if (/^(POST|PATCH|DELETE) /.test(name)) expect(Object.keys(op.responses), name).toEqual(expect.arrayContaining(['413', '415']));
    }
  });

  it('server-wide errors are described once: a component and the document’s description', () => {
    expect(resolve(doc.components.schemas.FrameworkError?.properties?.error?.properties?.code)?.enum).toEqual([...SERVER_WIDE_ERROR_CODES]);
    for (const code of SERVER_WIDE_ERROR_CODES) expect(doc.info.description).toContain(`\`${code}\` (${httpStatusOf(code)})`);
    expect(doc.components.schemas.ErrorCode?.enum).toEqual(Object.keys(ERROR_CODES));
  });

  it('verification results have their own enums, apart from ErrorCode', () => {
    const codeOf = (path: string) => doc.paths[path]?.post?.responses['200']?.content?.['application/json']?.schema?.properties?.code;
    expect(codeOf('/v1/keys/verify')?.$ref).toBe('#/components/schemas/VerifyResultCode');
    expect(codeOf('/v1/signatures/verify')?.$ref).toBe('#/components/schemas/SignatureResultCode');
    expect(doc.components.schemas.VerifyResultCode?.enum).toEqual([...VERIFY_CODES]);
    expect(doc.components.schemas.SignatureResultCode?.enum).toEqual([...SIGNATURE_VERIFY_CODES]);
    // VALID and INSUFFICIENT_SCOPE are answers, never errors.
    expect(doc.components.schemas.ErrorCode?.enum).not.toContain('VALID');
    expect(doc.components.schemas.ErrorCode?.enum).not.toContain('INSUFFICIENT_SCOPE');
  });

  it('/v1/authorize is one operation per path, whose 401 is its own enum of credential rejections', () => {
    for (const path of ['/v1/authorize', '/v1/authorize/{*}']) {
      const item = doc.paths[path] ?? {};
      expect(Object.keys(item), path).toEqual(['get']);
      expect(item.get?.['x-keyward-methods'], path).toEqual(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);
      const schema = item.get?.responses['401']?.content?.['application/json']?.schema;
      expect(schema?.properties?.error?.properties?.code?.$ref).toBe('#/components/schemas/CredentialRejectionCode');
      expect(codeEnumOf(item.get?.responses['403'] ?? {})).toEqual(['SCOPE_DENIED']);
    }
    const rejections = doc.components.schemas.CredentialRejectionCode?.enum ?? [];
    expect(rejections).toEqual(expect.arrayContaining(['UNAUTHORIZED', 'UNSUPPORTED_CREDENTIAL', 'NOT_FOUND', 'REPLAYED']));
    expect(rejections).not.toContain('INVALID_CREDENTIALS');
  });

  it('logout declares bearer security and answers like a bearer route', () => {
    const op = doc.paths['/v1/auth/logout']?.post;
    expect(op?.security).toEqual([{ bearer: [] }]);
    expect(codeEnumOf(op?.responses['401'] ?? {})).toEqual(['UNAUTHORIZED']);
  });
});
