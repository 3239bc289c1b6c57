import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/core/key-format.js';
import { createFastVerify } from '../../src/http/fast-verify.js';
import { appWithKey, createHarness, DIALECTS, type Harness } from '../harness.js';

const JSON_TYPE = { 'content-type': 'application/json' };
/** Response bodies are checked field by field. */
const json = async (res: Response): Promise<any> => res.json();

/** Status, content type and body with the request id blanked: what must not differ between paths. */
function normalize(status: number, type: string | null, requestId: string | null, text: string) {
  return { status, type, hasRequestId: /^req_/.test(requestId ?? ''), body: text.replaceAll(/req_[0-9A-Za-z]+/g, 'req_X') };
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`POST /v1/keys/verify fast path [${dialect.name}]`, () => {
    let h: Harness;
    let base: string;
    let valid: { key: string; keyId: string };
    let revoked: string;
    let overLimit: string;
    let spent: string;
    let limited: string;
    beforeAll(async () => {
      h = await createHarness(dialect);
      await h.kw.app.listen({ host: '127.0.0.1', port: 0 });
      base = `http://127.0.0.1:${(h.kw.app.server.address() as AddressInfo).port}`;
      const t = await h.tenant();
      valid = await appWithKey(h, t, t.adminToken, ['device:read']);
      const r = await appWithKey(h, t, t.adminToken);
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${r.keyId}/revoke`, { token: t.adminToken });
      revoked = r.key;
      // Limited keys whose answers do not change between the two paths' calls (issue #12): over their
      // rate limit, out of credits, or asked at cost 0 (checked without consuming).
      const hourly = { ratelimits: [{ name: 'default', limit: 1, window: 'hour' }] };
      overLimit = (await appWithKey(h, t, t.adminToken, [], hourly)).key;
      await h.call('POST', '/v1/keys/verify', { body: { key: overLimit } });
      spent = (await appWithKey(h, t, t.adminToken, [], { quota: { credits: 0 } })).key;
      limited = (await appWithKey(h, t, t.adminToken, [], { ...hourly, quota: { credits: 5 } })).key;
    });
    afterAll(async () => h?.close());

    const cases: [string, Record<string, string>, () => string][] = [
      ['valid key', JSON_TYPE, () => JSON.stringify({ key: valid.key })],
      ['valid key, held scope', JSON_TYPE, () => JSON.stringify({ key: valid.key, scopes: ['device:read'] })],
      ['valid key, missing scope', JSON_TYPE, () => JSON.stringify({ key: valid.key, scopes: ['device:fuota'] })],
      ['revoked key', JSON_TYPE, () => JSON.stringify({ key: revoked })],
      ['unknown key', JSON_TYPE, () => JSON.stringify({ key: generateKey() })],
      ['malformed key', JSON_TYPE, () => JSON.stringify({ key: 'kw_nope' })],
      ['extra fields are ignored', JSON_TYPE, () => JSON.stringify({ key: valid.key, other: 1 })],
      ['"constructor" as a value', JSON_TYPE, () => JSON.stringify({ key: 'constructor' })],
      ['charset in content type', { 'content-type': 'application/json; charset=utf-8' }, () => JSON.stringify({ key: valid.key })],
      ['invalid JSON', JSON_TYPE, () => '{bad'],
      ['__proto__ poisoning', JSON_TYPE, () => '{"key":"a","__proto__":{"x":1}}'],
      ['constructor poisoning', JSON_TYPE, () => '{"key":"a","constructor":{"prototype":{"x":1}}}'],
      ['array body', JSON_TYPE, () => '[]'],
      ['null body', JSON_TYPE, () => 'null'],
      ['key of the wrong type', JSON_TYPE, () => '{"key":5}'],
      ['missing key', JSON_TYPE, () => '{}'],
      ['key of the longest length', JSON_TYPE, () => JSON.stringify({ key: 'x'.repeat(512) })],
      ['key too long', JSON_TYPE, () => JSON.stringify({ key: 'x'.repeat(513) })],
      ['empty scopes', JSON_TYPE, () => JSON.stringify({ key: valid.key, scopes: [] })],
      ['scopes not an array', JSON_TYPE, () => JSON.stringify({ key: valid.key, scopes: 'device:read' })],
      ['empty scope name', JSON_TYPE, () => JSON.stringify({ key: valid.key, scopes: [''] })],
      ['too many scopes', JSON_TYPE, () => JSON.stringify({ key: valid.key, scopes: Array(51).fill('a') })],
      ['key over its rate limit', JSON_TYPE, () => JSON.stringify({ key: overLimit })],
      ['key over its rate limit, named', JSON_TYPE, () => JSON.stringify({ key: overLimit, ratelimits: [{ name: 'default' }] })],
      ['quota spent', JSON_TYPE, () => JSON.stringify({ key: spent })],
      ['limited key at cost 0', JSON_TYPE, () => JSON.stringify({ key: limited, ratelimits: [{ name: 'default', cost: 0 }], cost: 0 })],
      ['ratelimits not an array', JSON_TYPE, () => JSON.stringify({ key: limited, ratelimits: 'default' })],
      ['negative cost', JSON_TYPE, () => JSON.stringify({ key: limited, cost: -1 })],
      ['wrong content type (declined, Fastify answers)', { 'content-type': 'text/plain' }, () => JSON.stringify({ key: valid.key })],
    ];

    it.each(cases)('answers exactly like the Fastify route: %s', async (_name, headers, body) => {
      const payload = body();
      // One instant for both calls: limits report seconds to wait and to reset.
      const at = Date.now();
      h.kw.ctx.now = () => at;
      const real = await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers, body: payload });
      const viaServer = normalize(real.status, real.headers.get('content-type'), real.headers.get('x-request-id'), await real.text());
      const injected = await h.kw.app.inject({ method: 'POST', url: '/v1/keys/verify', headers, payload });
      const viaFastify = normalize(
        injected.statusCode,
        String(injected.headers['content-type'] ?? '') || null,
        String(injected.headers['x-request-id'] ?? '') || null,
        injected.body,
      );
      h.kw.ctx.now = Date.now;
      expect(viaServer).toEqual(viaFastify);
      expect(viaServer.hasRequestId).toBe(true);
      expect(viaServer.status).toBeLessThan(500);
    });

    it("a limited key's allowed answer (serialized in two parts on the fast path) is the Fastify route's, byte for byte", async () => {
      // Each path consumes, so each gets a fresh key with the same limits and quota: the answers
      // differ only in the key's and its application's ids.
      const t = await h.tenant();
      const limits = {
        ratelimits: [
          { name: 'per-minute', limit: 1000, window: 'minute' },
          { name: 'per-hour', limit: 5000, window: 'hour', burst: 100 },
        ],
        quota: { credits: 50, refill: { amount: 50, interval: 'daily' } },
      };
      const a = await appWithKey(h, t, t.adminToken, ['device:read'], limits);
      const b = await appWithKey(h, t, t.adminToken, ['device:read'], limits);
      const at = Date.now();
      h.kw.ctx.now = () => at;
      try {
        for (let i = 0; i < 2; i++) {
          // Twice: the second answer reuses the first's serialized key fields.
          const real = await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ key: a.key }) });
          const injected = await h.kw.app.inject({ method: 'POST', url: '/v1/keys/verify', headers: JSON_TYPE, payload: { key: b.key } });
          const text = await real.text();
          expect(JSON.parse(text)).toMatchObject({ code: 'VALID', ratelimits: [{ remaining: 999 - i }, { remaining: 99 - i }] });
          expect(text.replaceAll(a.keyId, b.keyId).replaceAll(a.applicationId, b.applicationId)).toBe(injected.body);
        }
      } finally {
        h.kw.ctx.now = Date.now;
      }
    });

    it("regression: the server made for the fast path keeps Fastify's timeouts (keep-alive 72 s, not node's 5 s)", () => {
      expect(h.kw.app.server.keepAliveTimeout).toBe(72_000);
    });

    it('the verify route is still documented in OpenAPI', async () => {
      const doc = await h.call('GET', '/openapi.json');
      expect(doc.body.paths['/v1/keys/verify'].post.responses['200']).toBeDefined();
    });

    it('other routes still go through Fastify on the same server', async () => {
      const res = await fetch(`${base}/v1/keys/verify?x=1`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ key: valid.key }),
      });
      expect(res.status).toBe(200);
      expect((await json(res)).code).toBe('VALID');
      const missing = await fetch(`${base}/v1/nothing`);
      expect(missing.status).toBe(404);
      expect((await json(missing)).error.code).toBe('ROUTE_NOT_FOUND');
    });

    it('takes only the plain case and declines everything else before reading the body', async () => {
      const fast = createFastVerify(h.kw.ctx, { bodyLimit: 1024, logError: () => {} });
      let declined = 0;
      const server: Server = createServer((req, res) => {
        if (!fast(req, res)) {
          declined++;
          res.writeHead(599).end();
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const ok = await fetch(`${url}/v1/keys/verify`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ key: valid.key }) });
        expect((await json(ok)).code).toBe('VALID');
        expect(declined).toBe(0);
        const declines: [string, RequestInit][] = [
          ['/v1/keys/verify', { method: 'GET' }],
          ['/v1/keys/verify?x=1', { method: 'POST', headers: JSON_TYPE, body: '{}' }],
          ['/v1/keys/verify', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }],
          ['/v1/keys/verify', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ key: 'x'.repeat(2000) }) }],
          ['/v1/keys/verify', { method: 'POST', headers: JSON_TYPE, body: '' }],
        ];
        for (const [path, init] of declines) expect((await fetch(`${url}${path}`, init)).status).toBe(599);
        expect(declined).toBe(declines.length);
      } finally {
        await new Promise((r) => server.close(r));
      }
    });

    it('a body that arrives in several chunks is read whole on the fast path (the same answer as in one)', async () => {
      const fast = createFastVerify(h.kw.ctx, { bodyLimit: 1024, logError: () => {} });
      const server: Server = createServer((req, res) => {
        if (!fast(req, res)) res.writeHead(599).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      try {
        for (const [text, code] of [
          [JSON.stringify({ key: valid.key }), 'VALID'],
          [` {\n "key" : "${generateKey()}" } `, 'NOT_FOUND'],
          [JSON.stringify({ key: 'kw_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ' }), 'MALFORMED'],
        ] as const) {
          const parts = [text.slice(0, 5), text.slice(5, 20), text.slice(20)];
          const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
            const req = httpRequest(
              {
                port,
                host: '127.0.0.1',
                method: 'POST',
                path: '/v1/keys/verify',
                headers: { ...JSON_TYPE, 'content-length': Buffer.byteLength(text) },
              },
              (res) => {
                let body = '';
                res.setEncoding('utf8');
                res.on('data', (c: string) => {
                  body += c;
                });
                res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
              },
            );
            req.on('error', reject);
            // Each part in its own write, a turn apart: the server sees separate chunks.
            req.flushHeaders();
            let i = 0;
            const next = () => {
              const part = parts[i++];
              if (part === undefined) req.end();
              else req.write(part, () => setTimeout(next, 20));
            };
            next();
          });
          expect(answer.status).toBe(200);
          expect(JSON.parse(answer.body).code).toBe(code);
        }
      } finally {
        await new Promise((r) => server.close(r));
      }
    });

    const fastVerify = async (key: string) =>
      (await json(await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ key }) }))).code;

    it('a prepared answer does not outlive the key: VALID turns EXPIRED when the clock passes the expiry', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, [], { expiresAt: Date.now() + 60_000 });
      expect(await fastVerify(k.key)).toBe('VALID');
      expect(await fastVerify(k.key)).toBe('VALID');
      const realNow = h.kw.ctx.now;
      h.kw.ctx.now = () => realNow() + 120_000;
      try {
        expect(await fastVerify(k.key)).toBe('EXPIRED');
      } finally {
        h.kw.ctx.now = realNow;
      }
    });

    it('every valid answer counts a use, also when the answer was prepared earlier', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      for (let i = 0; i < 5; i++) expect(await fastVerify(k.key)).toBe('VALID');
      await h.kw.ctx.usage.flush();
      const usage = await h.call('GET', `/v1/accounts/${t.accountId}/usage?keyId=${k.keyId}`, { token: t.adminToken });
      const [series] = usage.body.series;
      expect(series.keyId).toBe(k.keyId);
      expect(series.points.reduce((n: number, p: { count: number }) => n + p.count, 0)).toBe(5);
    });

    it('a body with JSON whitespace is the same request (the quick body match agrees with JSON.parse)', async () => {
      const bodies = [`{"key":"${valid.key}"}`, ` {\n\t"key" : "${valid.key}"\r\n} `];
      for (const body of bodies) {
        const res = await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: JSON_TYPE, body });
        expect((await json(res)).code).toBe('VALID');
      }
      // A form feed is whitespace to a regular expression's \s but not to JSON.
      const bad = await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: JSON_TYPE, body: `{\f"key":"${valid.key}"}` });
      expect(bad.status).toBe(400);
      expect((await json(bad)).error.code).toBe('MALFORMED_JSON');
    });

    it('a revoke is seen by the fast path as soon as it has returned', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      const verify = async () =>
        (await json(await fetch(`${base}/v1/keys/verify`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ key: k.key }) })))
          .code;
      expect(await verify()).toBe('VALID');
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
      expect(await verify()).toBe('REVOKED');
    });
  });
}
