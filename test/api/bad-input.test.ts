import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateAccount } from '../../src/store/repos/accounts.js';
import { updateUser } from '../../src/store/repos/users.js';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { createDevice } from '../signing.js';

function expectValidation(res: { status: number; body: any }, what: string) {
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(400);
  expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', requestId: expect.stringMatching(/^req_/) });
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`bad input is a 4xx, never a 500 [${dialect.name}]`, () => {
    let h: Harness;
    let t: Tenant;
    /** A real id for every path parameter of the API. */
    let ids: Record<string, string>;
    /** Every PATCH operation in the OpenAPI document, so a new one is covered without editing this test. */
    let patches: string[];
    beforeAll(async () => {
      h = await createHarness(dialect);
      t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      const user = await h.user(t, {});
      const device = await createDevice(h, t);
      ids = { accountId: t.accountId, applicationId: k.applicationId, keyId: k.keyId, userId: user.id, deviceId: device.id };
      const doc = (await h.call('GET', '/openapi.json')).body;
      patches = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
        // /v1/authorize answers every method (the gateway caller's) and ignores bodies.
        .filter(([path, ops]) => 'patch' in ops && !path.startsWith('/v1/authorize'))
        .map(([path]) => path);
    });
    afterAll(async () => h?.close());

    const fill = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? 'missing');

    it('regression: a PATCH with nothing to change (`{}`, or only unknown fields) is 400 VALIDATION_FAILED on every PATCH route', async () => {
      expect(patches.length).toBeGreaterThanOrEqual(5);
      for (const path of patches) {
        // The account route is the operator's; the admin may call the others.
        const token = path === '/v1/accounts/{accountId}' ? h.operatorToken : t.adminToken;
        const empty = await h.call('PATCH', fill(path), { token, body: {} });
        expectValidation(empty, `PATCH ${path} {}`);
        expect(empty.body.error.message).toMatch(/nothing to change/);
        // Unknown fields are stripped (nothing left to change) or refused by a strict schema: 400 either way.
        expectValidation(await h.call('PATCH', fill(path), { token, body: { unknownField: 1 } }), `PATCH ${path} unknown field`);
      }
      // And a real change still goes through.
      const renamed = await h.call('PATCH', `/v1/accounts/${t.accountId}/users/${ids.userId}`, {
        token: t.adminToken,
        body: { name: 'New' },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body.name).toBe('New');
    });

    it('an empty change reaching the store is a no-op, not an UPDATE with an empty SET', async () => {
      await expect(updateAccount(h.kw.ctx.store.db, t.accountId, {})).resolves.toBeUndefined();
      await expect(updateUser(h.kw.ctx.store.db, ids.userId as string, {})).resolves.toBeUndefined();
    });

    it('regression: U+0000 in a body string, a path parameter or a query value is 400 VALIDATION_FAILED', async () => {
      const base = `/v1/accounts/${t.accountId}`;
      const cases: [string, string, unknown][] = [
        ['POST', `${base}/applications`, { name: 'a\u0000b' }],
        ['POST', `${base}/applications`, { name: 'ok', description: '\u0000' }],
        ['POST', `${base}/devices`, { name: '\u0000' }],
        ['POST', `${base}/users`, { email: 'x\u0000@test.local', name: 'N', password: 'user-password-1' }],
        ['PATCH', `${base}/applications/${ids.applicationId}`, { name: 'n\u0000' }],
        ['POST', `${base}/applications/${ids.applicationId}/keys`, { name: 'k', scopes: ['device:read\u0000'] }],
        ['GET', `/v1/accounts/acc%00x`, undefined],
        ['GET', `${base}/keys/key_%00`, undefined],
        ['GET', `${base}/users/%00`, undefined],
        ['DELETE', `${base}/devices/dev%00`, undefined],
        ['GET', `${base}/audit?before=%00`, undefined],
        ['GET', `${base}/applications?include=revoked%00`, undefined],
        ['POST', '/v1/auth/login', { email: 'a@b.c\u0000', password: 'whatever-password' }],
        ['POST', '/v1/keys/verify', { key: 'kw_\u0000' }],
        ['POST', '/v1/keys/verify', { key: 'kw_x', scopes: ['a\u0000'] }],
        ['POST', `${base}/applications`, { name: 'ok', 'x\u0000': 1 }],
      ];
      for (const [method, url, body] of cases) {
        const res = await h.call(method, url, { token: t.adminToken, ...(body !== undefined && { body }) });
        expectValidation(res, `${method} ${url} ${JSON.stringify(body)}`);
        expect(res.body.error.message).toMatch(/U\+0000/);
      }
    });

    it('the fast path refuses NUL exactly as the Fastify route does', async () => {
      const base = await h.kw.app.listen({ host: '127.0.0.1', port: 0 });
      for (const payload of ['{"key":"kw_\\u0000"}', '{"key":"kw_a","scopes":["x","\\u0000"]}', '{"key":"kw_a","\\u0000":1}']) {
        const real = await fetch(`${base}/v1/keys/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: payload,
        });
        const injected = await h.kw.app.inject({
          method: 'POST',
          url: '/v1/keys/verify',
          headers: { 'content-type': 'application/json' },
          payload,
        });
        expect(real.status).toBe(400);
        const strip = (text: string) => text.replaceAll(/req_[0-9A-Za-z]+/g, 'req_X');
        expect(strip(await real.text())).toBe(strip(injected.body));
      }
      // An escaped backslash before `u0000` is not a NUL.
      const ok = await fetch(`${base}/v1/keys/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"key":"kw_\\\\u0000"}',
      });
      expect(ok.status).toBe(200);
    });
  });
}
