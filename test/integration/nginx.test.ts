import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { NGINX, type RunningNginx, startExampleNginx } from './nginx-process.js';
import { type Seen, startUpstream } from './upstream.js';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled || !NGINX)(`nginx auth_request in front of an API [${dialect.name}]`, () => {
    let h: Harness;
    let upstream: Awaited<ReturnType<typeof startUpstream>>;
    let nginx: RunningNginx;
    let base: string;
    let t: Tenant;

    beforeAll(async () => {
      upstream = await startUpstream();
      h = await createHarness(dialect);
      const keyward = new URL(await h.kw.app.listen({ host: '127.0.0.1', port: 0 }));
      nginx = await startExampleNginx({ keyward: Number(keyward.port), api: upstream.port });
      base = nginx.base;
      t = await h.tenant();
    });

    afterAll(async () => {
      await nginx?.stop();
      await h?.close();
      await upstream?.close();
    });

    it('a key with the right scope reaches the upstream, with identity headers and without the key', async () => {
      const k = await appWithKey(h, t, t.adminToken, ['device:full-access']);
      const before = upstream.seen.length;
      const res = await fetch(`${base}/integration/device/sendmsg?eui=0011`, {
        method: 'POST',
        headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json', 'x-keyward-account-id': 'acc_spoofed' },
        body: JSON.stringify({ payload: 'AQID' }),
      });
      expect(res.status, nginx.stderr()).toBe(201);
      expect(res.headers.get('x-upstream')).toBe('yes');
      const got = upstream.seen[before] as Seen;
      expect(got.method).toBe('POST');
      expect(got.url).toBe('/integration/device/sendmsg?eui=0011');
      expect(got.bodyLength).toBe(JSON.stringify({ payload: 'AQID' }).length);
      expect(got.headers.authorization).toBeUndefined();
      expect(got.headers['x-keyward-account-id']).toBe(t.accountId);
      expect(got.headers['x-keyward-customer-id']).toBe(t.customerId);
      expect(got.headers['x-keyward-key-id']).toBe(k.keyId);
      expect(got.headers['x-keyward-application-id']).toBe(k.applicationId);
      expect(got.headers['x-keyward-key-kind']).toBe('application');
    });

    it('the Senet-style raw Authorization header works through nginx too', async () => {
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      expect((await fetch(`${base}/integration/device/csvExport`, { headers: { authorization: k.key } })).status).toBe(201);
    });

    it('a customer key reaches billing; its empty application id is not passed on', async () => {
      const r = await h.call('POST', `/v1/accounts/${t.accountId}/keys`, {
        token: t.adminToken,
        body: { kind: 'customer', name: 'Billing', scopes: ['billing:access'] },
      });
      const before = upstream.seen.length;
      const res = await fetch(`${base}/integration/usage/details`, {
        headers: { authorization: `Bearer ${r.body.key}`, 'x-keyward-application-id': 'app_spoofed' },
      });
      expect(res.status).toBe(201);
      const got = upstream.seen[before] as Seen;
      expect(got.headers['x-keyward-key-kind']).toBe('customer');
      expect(got.headers['x-keyward-application-id']).toBeUndefined();
    });

    it('wrong scope -> 403, revoked key -> 401, no key -> 401; the upstream is never reached', async () => {
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const before = upstream.seen.length;
      expect(
        (await fetch(`${base}/integration/device/sendmsg`, { method: 'POST', headers: { authorization: `Bearer ${k.key}` } })).status,
      ).toBe(403);
      expect(
        (await fetch(`${base}/integration/device/csvExport/../sendmsg`, { headers: { authorization: `Bearer ${k.key}` } })).status,
      ).toBe(403);
      expect((await fetch(`${base}/integration/device/csvExport`)).status).toBe(401);
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
      expect((await fetch(`${base}/integration/device/csvExport`, { headers: { authorization: `Bearer ${k.key}` } })).status).toBe(401);
      expect(upstream.seen.length).toBe(before);
    });
  });
}
