import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { createDevice, signedCheck } from '../signing.js';

// Every URI of the seed's table (Senet, 001), by role.
const DEVICE_URIS = {
  'device:downlinks': ['/integration/device/sendmsg', '/integration/device/sendmcastmsg', '/integration/device/clearmsgs'],
  'device:fuota': ['/integration/mcastTransfer'],
  'device:onboarding': [
    '/integration/device/status',
    '/integration/device/register',
    '/integration/device/activate',
    '/integration/device/activateOne',
    '/integration/device/deactivate',
    '/integration/device/update',
  ],
  'device:read': ['/integration/device/csvExport'],
};
const BILLING_URIS = ['/integration/usage/details', '/integration/usage/contracts'];
const ALL_DEVICE_URIS = Object.values(DEVICE_URIS).flat();

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`gateway authorization [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    const authorize = (authorization: string | undefined, method: string, uri: string, extra: Record<string, string> = {}) =>
      h.call('GET', '/v1/authorize', {
        headers: {
          ...(authorization !== undefined && { authorization }),
          'x-original-method': method,
          'x-original-uri': uri,
          ...extra,
        },
      });

    async function customerKey(t: Tenant, scopes: string[]) {
      const r = await h.call('POST', `/v1/accounts/${t.accountId}/keys`, {
        token: t.adminToken,
        body: { kind: 'customer', name: 'Billing', scopes },
      });
      expect(r.status).toBe(201);
      return { keyId: r.body.accessKey.id as string, key: r.body.key as string };
    }

    it('Device: Full Access reaches every seed device URI, with identity headers; nothing else', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:full-access']);
      for (const uri of ALL_DEVICE_URIS) {
        const r = await authorize(`Bearer ${k.key}`, 'POST', `${uri}?eui=00-11&x=1`);
        expect(r.status, uri).toBe(200);
        expect(r.headers['x-keyward-account-id']).toBe(t.accountId);
        expect(r.headers['x-keyward-customer-id']).toBe(t.customerId);
        expect(r.headers['x-keyward-key-id']).toBe(k.keyId);
        expect(r.headers['x-keyward-application-id']).toBe(k.applicationId);
        expect(r.headers['x-keyward-key-kind']).toBe('application');
        expect(r.body).toMatchObject({ allowed: true, keyId: k.keyId, kind: 'application' });
      }
      for (const uri of BILLING_URIS) {
        const r = await authorize(`Bearer ${k.key}`, 'GET', uri);
        expect(r.status, uri).toBe(403);
        expect(r.body.error.code).toBe('SCOPE_DENIED');
      }
    });

    it('each device role reaches exactly its own URIs', async () => {
      const t = await h.tenant();
      for (const [scope, uris] of Object.entries(DEVICE_URIS)) {
        const k = await appWithKey(h, t, t.adminToken, [scope]);
        for (const uri of ALL_DEVICE_URIS) {
          const r = await authorize(k.key, 'GET', uri);
          expect(r.status, `${scope} ${uri}`).toBe(uris.includes(uri) ? 200 : 403);
        }
      }
    });

    it('Billing URIs only for customer keys with Billing Access; customer keys reach no device URI', async () => {
      const t = await h.tenant();
      const c = await customerKey(t, ['billing:access']);
      for (const uri of BILLING_URIS) {
        const r = await authorize(`Bearer ${c.key}`, 'GET', uri);
        expect(r.status, uri).toBe(200);
        expect(r.headers['x-keyward-key-kind']).toBe('customer');
        expect(r.headers['x-keyward-application-id']).toBe('');
        expect(r.headers['x-keyward-customer-id']).toBe(t.customerId);
      }
      for (const uri of ALL_DEVICE_URIS) expect((await authorize(`Bearer ${c.key}`, 'GET', uri)).status).toBe(403);
    });

    it('accepts the Senet-style raw Authorization header as well as Bearer', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      expect((await authorize(k.key, 'GET', '/integration/device/csvExport')).status).toBe(200);
      expect((await authorize(`bearer ${k.key}`, 'GET', '/integration/device/csvExport')).status).toBe(200);
    });

    it('answers for any method: nginx sends the caller method on the subrequest', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:downlinks']);
      const r = await h.call('POST', '/v1/authorize', {
        headers: {
          authorization: `Bearer ${k.key}`,
          'x-original-method': 'POST',
          'x-original-uri': '/integration/device/sendmsg',
          'content-type': 'application/json',
        },
      });
      expect(r.status).toBe(200);
    });

    it('HEAD works too (a HEAD caller makes a HEAD subrequest), and the route is in the OpenAPI document', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const r = await h.call('HEAD', '/v1/authorize', {
        headers: { authorization: `Bearer ${k.key}`, 'x-original-method': 'HEAD', 'x-original-uri': '/integration/device/csvExport' },
      });
      expect(r.status).toBe(200);
      expect(r.headers['x-keyward-key-id']).toBe(k.keyId);
      const doc = await h.call('GET', '/openapi.json');
      // Documented once, as GET; the methods it answers alike are listed with it (issue #13).
      expect(Object.keys(doc.body.paths['/v1/authorize'])).toEqual(['get']);
      expect(doc.body.paths['/v1/authorize'].get['x-keyward-methods']).toEqual(expect.arrayContaining(['HEAD', 'POST']));
    });

    it('Envoy form: the original path appended to /v1/authorize, with the caller method', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const ok = await h.call('GET', '/v1/authorize/integration/device/csvExport?eui=1', { headers: { authorization: `Bearer ${k.key}` } });
      expect(ok.status).toBe(200);
      expect(ok.headers['x-keyward-key-id']).toBe(k.keyId);
      const denied = await h.call('POST', '/v1/authorize/integration/device/sendmsg', { headers: { authorization: `Bearer ${k.key}` } });
      expect(denied.status).toBe(403);
      expect(denied.body.error.code).toBe('SCOPE_DENIED');
      const dots = await h.call('GET', '/v1/authorize/integration/device/csvExport/%2e%2e/sendmsg', {
        headers: { authorization: `Bearer ${k.key}` },
      });
      expect(dots.status).toBe(403);
    });

    it('401 with the verify code for bad credentials', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const uri = '/integration/device/csvExport';
      const none = await authorize(undefined, 'GET', uri);
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('UNAUTHORIZED');
      const malformed = await authorize('Bearer kw_nonsense', 'GET', uri);
      expect(malformed.status).toBe(401);
      expect(malformed.body.error.code).toBe('MALFORMED');
      // Flip one character of the secret: the checksum catches it before any lookup.
      const tampered = k.key.slice(0, -8) + (k.key.at(-8) === 'a' ? 'b' : 'a') + k.key.slice(-7);
      expect((await authorize(`Bearer ${tampered}`, 'GET', uri)).body.error.code).toBe('MALFORMED');
      const basic = await authorize('Basic dXNlcjpwYXNz', 'GET', uri);
      expect(basic.status).toBe(401);
      expect(basic.body.error.code).toBe('UNSUPPORTED_CREDENTIAL');

      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
      const revoked = await authorize(`Bearer ${k.key}`, 'GET', uri);
      expect(revoked.status).toBe(401);
      expect(revoked.body.error.code).toBe('REVOKED');
      expect(revoked.headers['x-keyward-error']).toBe('REVOKED');
      expect(revoked.headers['x-keyward-account-id']).toBeUndefined();
    });

    it('401 NOT_FOUND for a well-formed unknown key, EXPIRED and DISABLED too', async () => {
      const t = await h.tenant();
      const uri = '/integration/device/csvExport';
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      await h.call('DELETE', `/v1/accounts/${t.accountId}/keys/${k.keyId}`, { token: t.adminToken, body: { confirm: k.applicationId } });
      expect((await authorize(`Bearer ${k.key}`, 'GET', uri)).body.error.code).toBe('NOT_FOUND');

      const d = await appWithKey(h, t, t.adminToken, ['device:read']);
      await h.call('POST', `/v1/accounts/${t.accountId}/applications/${d.applicationId}/revoke`, { token: t.adminToken });
      expect((await authorize(`Bearer ${d.key}`, 'GET', uri)).body.error.code).toBe('DISABLED');

      const e = await appWithKey(h, t, t.adminToken, ['device:read'], { expiresAt: Date.now() + 60_000 });
      expect((await authorize(`Bearer ${e.key}`, 'GET', uri)).status).toBe(200);
      const realNow = h.kw.ctx.now;
      h.kw.ctx.now = () => Date.now() + 120_000;
      try {
        const expired = await authorize(`Bearer ${e.key}`, 'GET', uri);
        expect(expired.status).toBe(401);
        expect(expired.body.error.code).toBe('EXPIRED');
      } finally {
        h.kw.ctx.now = realNow;
      }
    });

    it('CTN1 device signatures: 200 with the device identity, distinct 401s, 403 outside the device scopes', async () => {
      const t = await h.tenant();
      const dev = await createDevice(h, t);
      const sign = (o: { method: string; path: string; body?: string; host?: string }) =>
        signedCheck(dev.id, dev.secret as string, { ...o, host: o.host ?? 'api.example.com', body: o.body ?? '' });
      const ask = (c: ReturnType<typeof signedCheck>, extra: Record<string, string> = {}) =>
        h.call('GET', '/v1/authorize', {
          headers: {
            authorization: c.authorization,
            'x-bcot-timestamp': c.timestamp,
            'x-original-method': c.method,
            'x-original-uri': c.path,
            'x-original-host': 'api.example.com',
            ...extra,
          },
        });
      const ok = sign({ method: 'POST', path: '/integration/device/status?n=1' });
      const r = await ask(ok);
      expect(r.status).toBe(200);
      expect(r.headers['x-keyward-device-id']).toBe(dev.id);
      expect(r.headers['x-keyward-account-id']).toBe(t.accountId);
      expect(r.headers['x-keyward-key-kind']).toBe('device');
      expect(r.headers['x-keyward-key-id']).toBe('');

      const replay = await ask(ok);
      expect([replay.status, replay.body.error.code]).toEqual([401, 'REPLAYED']);

      // A body the signature covers: its hash arrives as X-Content-SHA256 (auth_request has no body).
      const withBody = sign({ method: 'POST', path: '/integration/device/register', body: '{"eui":"01"}' });
      expect((await ask(withBody, { 'x-content-sha256': withBody.bodyHash })).status).toBe(200);
      const tampered = sign({ method: 'POST', path: '/integration/device/register?n=2', body: '{"eui":"01"}' });
      const bad = await ask(tampered, { 'x-content-sha256': sign({ method: 'POST', path: '/x', body: '{"eui":"02"}' }).bodyHash });
      expect([bad.status, bad.body.error.code, bad.headers['x-keyward-error']]).toEqual([401, 'INVALID_SIGNATURE', 'INVALID_SIGNATURE']);

      const noTs = await ask(sign({ method: 'GET', path: '/integration/device/status?n=3' }), { 'x-bcot-timestamp': '' });
      expect(noTs.body.error.code).toBe('MISSING_HEADERS');
      const billing = await ask(sign({ method: 'GET', path: '/integration/usage/details' }));
      expect([billing.status, billing.body.error.code]).toEqual([403, 'SCOPE_DENIED']);

      await h.call('PATCH', `/v1/accounts/${t.accountId}/devices/${dev.id}`, { token: t.adminToken, body: { status: 'disabled' } });
      const disabled = await ask(sign({ method: 'GET', path: '/integration/device/status?n=4' }));
      expect([disabled.status, disabled.body.error.code]).toEqual([401, 'DEVICE_DISABLED']);
    });

    it('400 when X-Original-URI or X-Original-Method is missing', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const noUri = await h.call('GET', '/v1/authorize', { headers: { authorization: `Bearer ${k.key}`, 'x-original-method': 'GET' } });
      expect(noUri.status).toBe(400);
      expect(noUri.body.error.code).toBe('VALIDATION_FAILED');
      expect(noUri.body.error.message).toContain('x-original-uri');
      const noMethod = await h.call('GET', '/v1/authorize', {
        headers: { authorization: `Bearer ${k.key}`, 'x-original-uri': '/integration/device/csvExport' },
      });
      expect(noMethod.status).toBe(400);
    });

    it('security: non-canonical paths never match a grant (dot segments, encoded slashes, empty segments)', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      for (const uri of [
        '/integration/device/csvExport/../../usage/details',
        '/integration/device/%2e%2e/usage/details',
        '/integration/device%2FcsvExport',
        '/integration//device/csvExport',
        '/integration/device/./csvExport',
        '/integration/device/csvExport%',
        'integration/device/csvExport',
        '/Integration/device/csvExport',
      ]) {
        const r = await authorize(`Bearer ${k.key}`, 'GET', uri);
        expect(r.status, uri).toBe(403);
        expect(r.body.error.code).toBe('SCOPE_DENIED');
      }
      // Percent-encoded ordinary characters are the same path.
      expect((await authorize(`Bearer ${k.key}`, 'GET', '/integration/device/csv%45xport')).status).toBe(200);
    });

    it('security: a key with only management scopes reaches no API URI', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['keyward:keys.view.any']);
      expect((await authorize(`Bearer ${k.key}`, 'GET', '/integration/device/csvExport')).status).toBe(403);
    });
  });
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`gateway authorization with an operator catalogue [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect, {
        catalogue: {
          scopes: [
            {
              name: 'orders:read',
              description: 'Read orders',
              keyKinds: ['application', 'customer'],
              grants: [
                { method: 'GET', path: '/orders/:orderId' },
                { method: 'GET', path: '/orders/:orderId/items/*' },
              ],
            },
            { name: 'orders:write', description: 'Write orders', keyKinds: ['application'], grants: [{ method: 'POST', path: '/orders' }] },
          ],
          roles: [{ name: 'orders:all', description: 'All', scopes: ['orders:read', 'orders:write'] }],
        },
      });
    });
    afterAll(async () => h?.close());

    const authorize = (key: string, method: string, uri: string) =>
      h.call('GET', '/v1/authorize', { headers: { authorization: `Bearer ${key}`, 'x-original-method': method, 'x-original-uri': uri } });

    it(':param and /* patterns, per method, for both key kinds the scope allows', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['orders:read']);
      expect((await authorize(k.key, 'GET', '/orders/o-17')).status).toBe(200);
      expect((await authorize(k.key, 'GET', '/orders/o-17/items/3/photo')).status).toBe(200);
      expect((await authorize(k.key, 'GET', '/orders/o-17/items')).status).toBe(403);
      expect((await authorize(k.key, 'GET', '/orders/o-17/invoice')).status).toBe(403);
      expect((await authorize(k.key, 'POST', '/orders/o-17')).status).toBe(403);
      expect((await authorize(k.key, 'POST', '/orders')).status).toBe(403);
      const all = await appWithKey(h, t, t.adminToken, ['orders:all']);
      const created = await authorize(all.key, 'POST', '/orders');
      expect(created.status).toBe(200);
      expect(created.body.scope).toBe('orders:write');

      const c = await h.call('POST', `/v1/accounts/${t.accountId}/keys`, {
        token: t.adminToken,
        body: { kind: 'customer', name: 'c', scopes: ['orders:read'] },
      });
      expect(c.status).toBe(201);
      expect((await authorize(c.body.key, 'GET', '/orders/o-1')).status).toBe(200);
      const bad = await h.call('POST', `/v1/accounts/${t.accountId}/keys`, {
        token: t.adminToken,
        body: { kind: 'customer', name: 'c', scopes: ['orders:write'] },
      });
      expect(bad.body.error.code).toBe('UNKNOWN_SCOPE');
    });
  });
}
