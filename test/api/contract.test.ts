import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeywardError } from '../../src/core/errors.js';
import { type Contract, contractOf } from '../contract.js';
import { appWithKey, createHarness, DIALECTS, type Harness } from '../harness.js';

/**
 * Issue #13: the validator behind `h.call` (test/contract.ts) must catch a response that does
 * not match /openapi.json, or the contract test proves nothing. Each lie below is a real
 * operation answered with something the document does not allow; each truth is accepted.
 */
const JSON_TYPE = 'application/json; charset=utf-8';
const envelope = (code: string) => ({ error: { code, message: 'm', requestId: 'req_0000000000000000' } });

describe.skipIf(!DIALECTS[0]?.enabled)('the contract validator', () => {
  let h: Harness;
  let contract: Contract;
  beforeAll(async () => {
    h = await createHarness(DIALECTS[0]!);
    contract = contractOf(h.kw.app.swagger());
  });
  afterAll(async () => h?.close());

  const check = (method: string, url: string, status: number, body: unknown, contentType: string | undefined = JSON_TYPE) =>
    contract.violations({ method, url, status, contentType, body });

  it('accepts what the document says', async () => {
    const account = (await h.call('GET', '/v1/accounts', { token: h.operatorToken })).body.accounts;
    expect(check('GET', '/v1/accounts', 200, { accounts: account })).toEqual([]);
    expect(check('GET', '/v1/accounts', 401, envelope('UNAUTHORIZED'))).toEqual([]);
    expect(check('POST', '/v1/keys/verify', 200, { ...verifyBody, code: 'NOT_FOUND' })).toEqual([]);
    // Server-wide codes, on any path, with their own status.
    expect(check('GET', '/no/such/path', 404, envelope('ROUTE_NOT_FOUND'))).toEqual([]);
    expect(check('GET', '/v1/accounts/%E0%A4%A', 400, envelope('BAD_URL'))).toEqual([]);
    // The dashboard's files are not API.
    expect(check('GET', '/assets/app.js', 200, 'console.log(1)', 'text/javascript')).toEqual([]);
    expect(check('GET', '/openapi.json', 200, {})).toEqual([]);
  });

  it('refuses a success body of the wrong shape', () => {
    const problems = check('GET', '/v1/accounts', 200, { accounts: [{ id: 1 }] });
    expect(problems.join()).toContain('GET /v1/accounts 200');
    expect(problems.join()).toMatch(/must be string|must have required property/);
    // A field the document does not have is a lie too (secrets must not leak unnoticed).
    expect(check('GET', '/v1/catalogue', 200, { scopes: [], roles: [], permissions: [], secret: 'x' })).not.toEqual([]);
  });

  it('refuses a status the operation does not declare: list accounts never conflicts', () => {
    expect(check('GET', '/v1/accounts', 409, envelope('EMAIL_TAKEN'))).toEqual([
      'GET /v1/accounts does not declare status 409 (declares 200, 400, 401, 500, 503)',
    ]);
  });

  it("refuses an error code the operation does not list for that status, or another status's code", () => {
    expect(check('GET', '/v1/accounts/acc_x', 404, envelope('KEY_NOT_FOUND')).join()).toContain(
      'must be equal to one of the allowed values',
    );
    expect(check('GET', '/v1/accounts', 401, envelope('INVALID_CREDENTIALS'))).not.toEqual([]);
    expect(check('GET', '/v1/accounts', 400, envelope('NOT_A_CODE'))).not.toEqual([]);
  });

  it('keeps verification results and error codes apart', () => {
    // KEY_NOT_FOUND is an error code, not a verification result; VALID is not an error code.
    expect(check('POST', '/v1/keys/verify', 200, { ...verifyBody, code: 'KEY_NOT_FOUND' })).not.toEqual([]);
    expect(check('POST', '/v1/signatures/verify', 200, { valid: false, code: 'NOT_FOUND', deviceId: null, accountId: null })).not.toEqual(
      [],
    );
    expect(check('POST', '/v1/keys/verify', 400, envelope('VALID'))).not.toEqual([]);
  });

  it('refuses JSON from a path no operation covers, and a server-wide code with the wrong status', () => {
    expect(check('GET', '/v1/nothing-here', 200, { ok: true })).toEqual(['no operation in the document for GET /v1/nothing-here']);
    expect(check('PUT', '/v1/accounts', 200, { ok: true })).not.toEqual([]);
    expect(check('GET', '/v1/accounts', 400, envelope('ROUTE_NOT_FOUND'))).not.toEqual([]);
    expect(check('GET', '/v1/accounts', 200, 'text', 'text/plain')).not.toEqual([]);
  });

  it('maps every method of /v1/authorize to its one documented operation', async () => {
    expect(contract.operationFor('DELETE', '/v1/authorize')?.name).toBe('GET /v1/authorize');
    expect(contract.operationFor('OPTIONS', '/v1/authorize/integration/x?y=1')?.name).toBe('GET /v1/authorize/{*}');
    expect(contract.operationFor('PUT', '/v1/accounts')).toBeUndefined();
    // The 401 lists credential rejections only: a management code is a lie there.
    expect(check('POST', '/v1/authorize', 401, envelope('REVOKED'))).toEqual([]);
    expect(check('POST', '/v1/authorize', 401, envelope('INVALID_CREDENTIALS'))).not.toEqual([]);
    // And the running app agrees, every method, through the validating harness.
    const t = await h.tenant();
    const { key } = await appWithKey(h, t, t.adminToken, ['device:onboarding']);
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const headers = { 'x-original-uri': '/admin/nothing', 'x-original-method': 'GET', authorization: `Bearer ${key}` };
      expect((await h.call(method, '/v1/authorize', { headers })).status, method).toBe(403);
      expect((await h.call(method, '/v1/authorize/admin/nothing', { headers })).status, method).toBe(403);
    }
  });

  it('h.call throws, with route, status, body and the reasons, when the document lies about a real answer', async () => {
    const real = h.kw.app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const lie = structuredClone(real);
    delete lie.paths['/v1/catalogue']?.get?.responses['200'];
    const swagger = h.kw.app.swagger;
    (h.kw.app as { swagger: () => unknown }).swagger = () => lie;
    try {
      const error = await h.call('GET', '/v1/catalogue').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toContain('GET /v1/catalogue → 200');
      expect(error?.message).toContain('does not declare status 200');
      expect(error?.message).toContain('"permissions":');
    } finally {
      h.kw.app.swagger = swagger;
    }
    expect((await h.call('GET', '/v1/catalogue')).status).toBe(200);
  });
});

describe.skipIf(!DIALECTS[0]?.enabled)('an error code a route does not declare', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(DIALECTS[0]!);
  });
  afterAll(async () => h?.close());

  it('still goes out as itself, never as a 500, and h.call fails on it', async () => {
    // GET /v1/catalogue declares 400 VALIDATION_FAILED only; make it answer another 400 code.
    const catalogue = h.kw.ctx.catalogue;
    h.kw.ctx.catalogue = {
      get catalogue(): never {
        throw new KeywardError('CONFIRMATION_REQUIRED');
      },
    } as never;
    try {
      const raw = await h.kw.app.inject({ method: 'GET', url: '/v1/catalogue' });
      expect(raw.statusCode).toBe(400);
      expect(raw.json().error.code).toBe('CONFIRMATION_REQUIRED');
      await expect(h.call('GET', '/v1/catalogue')).rejects.toThrow(
        /GET \/v1\/catalogue 400: \/error\/code must be equal to one of the allowed values/,
      );
    } finally {
      h.kw.ctx.catalogue = catalogue;
    }
  });
});

const verifyBody = {
  valid: false,
  code: 'NOT_FOUND',
  keyId: null,
  accountId: null,
  applicationId: null,
  kind: null,
  scopes: [],
  expiresAt: null,
};
