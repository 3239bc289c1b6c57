/**
 * examples/nginx.conf as shipped (ports substituted), in front of a real Keyward and a real
 * upstream: what callers see for each of Keyward's answers once nginx has mapped them
 * (auth_request itself only tells 2xx, 401 and 403 apart), and that the keepalive pools the
 * example configures are used. The identity headers are covered by nginx.test.ts.
 * One dialect: nothing here depends on the store.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { freePort, NGINX, type RunningNginx, startExampleNginx } from './nginx-process.js';
import { startUpstream } from './upstream.js';

const sqlite = DIALECTS[0] as (typeof DIALECTS)[number];

describe.skipIf(!NGINX)('examples/nginx.conf: Keyward answers as callers see them through nginx', () => {
  let h: Harness;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let nginx: RunningNginx;
  let t: Tenant;
  const connections = { keyward: 0, api: 0 };

  beforeAll(async () => {
    upstream = await startUpstream();
    upstream.server.on('connection', () => connections.api++);
    h = await createHarness(sqlite);
    const keyward = new URL(await h.kw.app.listen({ host: '127.0.0.1', port: 0 }));
    h.kw.app.server.on('connection', (_s: Socket) => connections.keyward++);
    nginx = await startExampleNginx({ keyward: Number(keyward.port), api: upstream.port });
    t = await h.tenant();
  });

  afterAll(async () => {
    await nginx?.stop();
    await h?.close();
    await upstream?.close();
  });

  const get = (path: string, key?: string) =>
    fetch(`${nginx.base}${path}`, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });

  /** A refusal as nginx answers it: Keyward's status, X-Keyward-Error, a JSON body with the same code. */
  async function refusal(res: Response) {
    const body = (await res.json()) as { error: { code: string } };
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-keyward-error')).toBe(body.error.code);
    return { status: res.status, code: body.error.code, retryAfter: res.headers.get('retry-after') };
  }

  it('an allowed request reaches the upstream, its answer passed on as is', async () => {
    const k = await appWithKey(h, t, t.adminToken, ['device:read']);
    const before = upstream.seen.length;
    const res = await get('/integration/device/csvExport?x=1', k.key);
    expect(res.status, nginx.stderr()).toBe(201);
    expect(await res.json()).toEqual({ upstream: true, url: '/integration/device/csvExport?x=1' });
    expect(upstream.seen.length).toBe(before + 1);
    expect(upstream.seen[before]?.headers['x-keyward-key-id']).toBe(k.keyId);
    // A key without limits gets no RateLimit fields (nginx sends no empty header).
    expect(res.headers.get('ratelimit-limit')).toBeNull();
    expect(res.headers.get('x-keyward-error')).toBeNull();
  });

  it('no key, an unknown key and a revoked key: 401 with Keyward’s code; the upstream is not reached', async () => {
    const k = await appWithKey(h, t, t.adminToken, ['device:read']);
    await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
    const before = upstream.seen.length;
    expect(await refusal(await get('/integration/device/csvExport'))).toEqual({ status: 401, code: 'UNAUTHORIZED', retryAfter: null });
    expect(await refusal(await get('/integration/device/csvExport', 'kw_not-a-key'))).toMatchObject({ status: 401, code: 'MALFORMED' });
    expect(await refusal(await get('/integration/device/csvExport', k.key))).toMatchObject({ status: 401, code: 'REVOKED' });
    expect(upstream.seen.length).toBe(before);
  });

  it('a method and path no scope grants: 403 SCOPE_DENIED', async () => {
    const k = await appWithKey(h, t, t.adminToken, ['device:read']);
    const before = upstream.seen.length;
    const res = await fetch(`${nginx.base}/integration/device/sendmsg`, {
      method: 'POST',
      headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json' },
      body: '{"payload":"AQID"}',
    });
    expect(await refusal(res)).toMatchObject({ status: 403, code: 'SCOPE_DENIED' });
    expect(upstream.seen.length).toBe(before);
  });

  it('over a rate limit: 429 RATE_LIMITED with Keyward’s Retry-After and RateLimit fields; allowed ones carry them too', async () => {
    const k = await appWithKey(h, t, t.adminToken, ['device:read'], { ratelimits: [{ name: 'pm', limit: 2, window: 'minute' }] });
    const before = upstream.seen.length;
    const first = await get('/integration/device/csvExport', k.key);
    expect(first.status).toBe(201);
    expect([first.headers.get('ratelimit-limit'), first.headers.get('ratelimit-remaining')]).toEqual(['2', '1']);
    expect(first.headers.get('ratelimit-policy')).toBe('2;w=60');
    expect((await get('/integration/device/csvExport', k.key)).status).toBe(201);
    const third = await get('/integration/device/csvExport', k.key);
    const r = await refusal(third);
    expect(r).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    // 2 a minute: one request fits again 30 s after the second (whole seconds, rounded up).
    expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(29);
    expect(Number(r.retryAfter)).toBeLessThanOrEqual(30);
    expect(third.headers.get('ratelimit-remaining')).toBe('0');
    expect(upstream.seen.length).toBe(before + 2);
  });

  it('out of credits: 429 USAGE_EXCEEDED', async () => {
    const k = await appWithKey(h, t, t.adminToken, ['device:read'], { quota: { credits: 1 } });
    expect((await get('/integration/device/csvExport', k.key)).status).toBe(201);
    expect(await refusal(await get('/integration/device/csvExport', k.key))).toMatchObject({ status: 429, code: 'USAGE_EXCEEDED' });
  });

  it('a caller cannot reach the internal authorization location', async () => {
    const k = await appWithKey(h, t, t.adminToken, ['device:read']);
    const res = await get('/_keyward', k.key);
    // `internal`: 404 for callers; nginx's own page, not a Keyward answer.
    expect(res.status).toBe(404);
  });

  it('Keyward unreachable: 500 GATEWAY_ERROR, never let through', async () => {
    // A second nginx on the same example whose Keyward address nothing listens on.
    const orphan = await startExampleNginx({ keyward: await freePort(), api: upstream.port });
    try {
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const before = upstream.seen.length;
      const res = await fetch(`${orphan.base}/integration/device/csvExport`, { headers: { authorization: `Bearer ${k.key}` } });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: { code: 'GATEWAY_ERROR' } });
      expect(res.headers.get('x-keyward-error')).toBeNull();
      expect(upstream.seen.length).toBe(before);
    } finally {
      await orphan.stop();
    }
  });

  it('the API’s own 401 and 500 reach the caller untouched (the refusal page is for Keyward’s answers only)', async () => {
    const api = http.createServer((req, res) => {
      const status = req.url?.includes('fail=1') ? 500 : 401;
      res.writeHead(status, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="api"' });
      res.end(`api ${status}`);
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const keyward = new URL(h.kw.app.listeningOrigin);
    const own = await startExampleNginx({ keyward: Number(keyward.port), api: (api.address() as AddressInfo).port });
    try {
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      for (const [path, status] of [
        ['/integration/device/csvExport', 401],
        ['/integration/device/csvExport?fail=1', 500],
      ] as const) {
        const res = await fetch(`${own.base}${path}`, { headers: { authorization: `Bearer ${k.key}` } });
        expect(res.status).toBe(status);
        expect(await res.text()).toBe(`api ${status}`);
        expect(res.headers.get('x-keyward-error')).toBeNull();
      }
    } finally {
      await own.stop();
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it('keepalive: ten requests in a row open at most one new connection to Keyward and one to the API', async () => {
    // Without `keepalive`, or with the subrequest sent as GET (Keyward's 200 then has a body,
    // and nginx closes a header-only subrequest's connection unless the answer has none), each
    // request opens one of each: 10 and 10. At most one: an idle connection may have timed out.
    const k = await appWithKey(h, t, t.adminToken, ['device:read']);
    const before = { ...connections };
    for (let i = 0; i < 10; i++) expect((await get(`/integration/device/csvExport?i=${i}`, k.key)).status).toBe(201);
    expect(connections.keyward - before.keyward).toBeLessThanOrEqual(1);
    expect(connections.api - before.api).toBeLessThanOrEqual(1);
  });
});
