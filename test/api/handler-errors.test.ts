import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeServer } from '../../src/http/node-server.js';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';

const JSON_TYPE = { 'content-type': 'application/json' };

/** Issue #10's crash: `{"constructor":1}` sends the fast path's poisoning check into every nested array. */
function nestedBody(depth: number, key = 'kw_nested'): string {
  return `{"key":"${key}","constructor":1,"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

function expectEnvelope(body: any, code: string) {
  expect(body).toEqual({ error: { code, message: expect.any(String), requestId: expect.stringMatching(/^req_/) } });
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`handler failures never end the process [${dialect.name}]`, () => {
    let h: Harness;
    let base: string;
    let t: Tenant;
    const realNow = Date.now;
    beforeAll(async () => {
      h = await createHarness(dialect);
      base = await h.kw.app.listen({ host: '127.0.0.1', port: 0 });
      t = await h.tenant();
    });
    afterAll(async () => h?.close());

    it('regression: 5,000 nested arrays plus "constructor":1 to POST /v1/keys/verify (10 KB) are answered, and the server serves on', async () => {
      const body = nestedBody(5000);
      expect(body.length).toBeGreaterThan(10_000);
      const res = await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: JSON_TYPE, body });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ valid: false, code: 'MALFORMED' });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    });

    it('nesting as deep as the 1 MB body limit allows, on the fast path and through Fastify, with poisoning and NUL checks', async () => {
      const depth = 400_000;
      const deep = nestedBody(depth);
      expect(deep.length).toBeLessThan(1024 * 1024);
      const poisoned = `{"key":"a","constructor":{"prototype":{}},"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const nul = `{"key":"a","a":${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}}`;
      // The fast path takes exactly `application/json`; a charset spelling it does not know goes to Fastify.
      for (const type of ['application/json', 'application/json; charset=UTF8']) {
        const ok = await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: { 'content-type': type }, body: deep });
        expect(ok.status, type).toBe(200);
        const bad = await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: { 'content-type': type }, body: poisoned });
        expect(bad.status, type).toBe(400);
        expectEnvelope(await bad.json(), 'MALFORMED_JSON');
        const withNul = await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: { 'content-type': type }, body: nul });
        expect(withNul.status, type).toBe(400);
        expect(((await withNul.json()) as any).error.code).toBe('VALIDATION_FAILED');
      }
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    });

    it('a synchronous throw inside the fast path (a cache hit) answers 500 with the envelope', async () => {
      const { key } = await appWithKey(h, t, t.adminToken);
      const warm = await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ key }) });
      expect(((await warm.json()) as any).valid).toBe(true);
      h.kw.ctx.now = () => {
        throw new Error('clock failure');
      };
      try {
        const res = await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ key }) });
        expect(res.status).toBe(500);
        const body = (await res.json()) as any;
        expectEnvelope(body, 'INTERNAL_ERROR');
        expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
        // With scopes the answer is decided per request: the same failure, the same answer.
        const scoped = await fetch(`${base}/v1/keys/verify`, {
          method: 'POST',
          headers: JSON_TYPE,
          body: JSON.stringify({ key, scopes: ['device:read'] }),
        });
        expect(scoped.status).toBe(500);
        expectEnvelope(await scoped.json(), 'INTERNAL_ERROR');
        // And on a Fastify route.
        const me = await fetch(`${base}/v1/accounts/${t.accountId}/applications`, { headers: { authorization: `Bearer ${t.adminToken}` } });
        expect(me.status).toBe(500);
        expectEnvelope(await me.json(), 'INTERNAL_ERROR');
      } finally {
        h.kw.ctx.now = realNow;
      }
      expect((await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ key }) })).status).toBe(
        200,
      );
    });
  });
}

describe('the node:http server Keyward listens on', () => {
  it('answers a handler that throws synchronously with a 500 envelope, and serves the next request', async () => {
    const logged: unknown[] = [];
    let calls = 0;
    const server = createNodeServer(
      { headersTimeoutMs: 5000, requestTimeoutMs: 5000, keepAliveTimeoutMs: 5000, socketIdleTimeoutMs: 5000, maxConnections: 100 },
      (_req, res) => {
        calls++;
        if (calls === 1) throw new Error('handler bug');
        if (calls === 2) {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('partial');
          throw new Error('bug after the headers went out');
        }
        res.end('ok');
      },
      (e) => logged.push(e),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const first = await fetch(url);
      expect(first.status).toBe(500);
      expectEnvelope(await first.json(), 'INTERNAL_ERROR');
      expect(first.headers.get('x-request-id')).toMatch(/^req_/);
      // Headers already sent: the only honest answer left is to cut the response.
      await expect(fetch(url).then((r) => r.text())).rejects.toThrow();
      expect(await (await fetch(url)).text()).toBe('ok');
      expect(logged.map((e) => (e as Error).message)).toEqual(['handler bug', 'bug after the headers went out']);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe.skipIf(!DIALECTS[0]?.enabled)('reverse-proxy mode: an upstream answer node cannot relay', () => {
  let upstream: TcpServer;
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    // Status 099 parses (three digits) but node refuses to send it on: writeHead throws.
    upstream = createTcpServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 099 Odd\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi'));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    h = await createHarness(DIALECTS[0]!, { upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
    base = await h.kw.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await h?.close();
    await new Promise((r) => upstream?.close(r));
  });

  it('answers 502 UPSTREAM_UNAVAILABLE with the envelope instead of throwing in the response callback', async () => {
    const t = await h.tenant();
    const { key } = await appWithKey(h, t, t.adminToken, ['device:onboarding']);
    const res = await fetch(`${base}/integration/device/status`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(502);
    expectEnvelope(await res.json(), 'UPSTREAM_UNAVAILABLE');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('an error while authorizing a proxied request answers 500 with the envelope', async () => {
    const t = await h.tenant();
    const { key } = await appWithKey(h, t, t.adminToken, ['device:onboarding']);
    const realNow = h.kw.ctx.now;
    h.kw.ctx.now = () => {
      throw new Error('clock failure');
    };
    try {
      const res = await fetch(`${base}/integration/device/status`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(500);
      expectEnvelope(await res.json(), 'INTERNAL_ERROR');
    } finally {
      h.kw.ctx.now = realNow;
    }
  });
});
