import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeywardError } from '../../src/core/errors.js';
import { generateKey } from '../../src/core/key-format.js';
import { createFastAuthorize } from '../../src/http/fast-authorize.js';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { createDevice, signedCheck } from '../signing.js';

/** The headers an answer of /v1/authorize is read by (gateways, clients): they must not differ between paths. */
const COMPARED = [
  'content-type',
  'cache-control',
  'retry-after',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'ratelimit-policy',
  'x-keyward-error',
  'x-keyward-account-id',
  'x-keyward-customer-id',
  'x-keyward-key-id',
  'x-keyward-application-id',
  'x-keyward-key-kind',
  'x-keyward-device-id',
];

type Answer = { status: number; headers: Record<string, string | undefined>; body: string; requestId: string };

/** Status, the compared headers and the body with the request id blanked; content-length checked against the body. */
function normalize(a: Answer) {
  const headers: Record<string, string | undefined> = {};
  for (const name of COMPARED) if (a.headers[name] !== undefined) headers[name] = a.headers[name];
  const length = a.headers['content-length'];
  return {
    status: a.status,
    headers,
    hasRequestId: /^req_[0-9A-Za-z]{16}$/.test(a.requestId),
    bodyHasTheRequestId: a.status >= 400 ? a.body.includes(a.requestId) : true,
    lengthMatches: length === undefined || Number(length) === Buffer.byteLength(a.body),
    body: a.body.replaceAll(/req_[0-9A-Za-z]+/g, 'req_X'),
  };
}

async function overHttp(url: string, method: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method, headers });
  const h: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    h[k] = v;
  });
  return { status: res.status, headers: h, body: await res.text(), requestId: res.headers.get('x-request-id') ?? '' };
}

/** A server with only the fast path: 599 when it declines, so a case proves it was answered there. */
async function fastOnly(h: Harness): Promise<{ url: string; server: Server; logged: unknown[] }> {
  const logged: unknown[] = [];
  const fast = createFastAuthorize(h.kw.ctx, { logError: (e) => logged.push(e) });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!fast(req, res)) res.writeHead(599).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, logged };
}

function fromInject(injected: { statusCode: number; headers: Record<string, unknown>; body: string }): Answer {
  return {
    status: injected.statusCode,
    headers: Object.fromEntries(Object.entries(injected.headers).map(([k, v]) => [k, v === undefined ? undefined : String(v)])),
    body: injected.body,
    requestId: String(injected.headers['x-request-id'] ?? ''),
  };
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`GET /v1/authorize fast path [${dialect.name}]`, () => {
    let h: Harness;
    let base: string;
    let fast: { url: string; server: Server; logged: unknown[] };
    let t: Tenant;
    const keys: Record<string, string> = {};
    let device: { id: string; secret: string };
    beforeAll(async () => {
      h = await createHarness(dialect);
      await h.kw.app.listen({ host: '127.0.0.1', port: 0 });
      base = `http://127.0.0.1:${(h.kw.app.server.address() as AddressInfo).port}`;
      fast = await fastOnly(h);
      t = await h.tenant();
      keys.read = (await appWithKey(h, t, t.adminToken, ['device:read'])).key;
      keys.full = (await appWithKey(h, t, t.adminToken, ['device:full-access'])).key;
      const r = await appWithKey(h, t, t.adminToken, ['device:read']);
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${r.keyId}/revoke`, { token: t.adminToken });
      keys.revoked = r.key;
      const d = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Gone' } });
      const dk = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${d.body.id}/keys`, {
        token: t.adminToken,
        body: { name: 'k', scopes: ['device:read'] },
      });
      await h.call('POST', `/v1/accounts/${t.accountId}/applications/${d.body.id}/revoke`, { token: t.adminToken });
      keys.disabled = dk.body.key;
      keys.expiring = (await appWithKey(h, t, t.adminToken, ['device:read'], { expiresAt: Date.now() + 60_000 })).key;
      const billing = await h.call('POST', `/v1/accounts/${t.accountId}/keys`, {
        token: t.adminToken,
        body: { kind: 'customer', name: 'Billing', scopes: ['billing:access'] },
      });
      keys.customer = billing.body.key;
      // Limited keys whose answers do not change between the two paths' calls: over their limit, out of credits.
      keys.over = (
        await appWithKey(h, t, t.adminToken, ['device:read'], {
          ratelimits: [
            { name: 'daily', limit: 1, window: 'day' },
            { name: 'per-minute', limit: 100, window: 'minute' },
          ],
        })
      ).key;
      await h.call('POST', '/v1/keys/verify', { body: { key: keys.over } });
      keys.spent = (await appWithKey(h, t, t.adminToken, ['device:read'], { quota: { credits: 0 } })).key;
      const dev = await createDevice(h, t);
      device = { id: dev.id, secret: dev.secret as string };
    });
    afterAll(async () => {
      await new Promise((r) => fast?.server.close(r));
      await h?.close();
    });

    const GET = (uri: string, authorization?: string, method = 'GET') => ({
      'x-original-method': method,
      'x-original-uri': uri,
      ...(authorization !== undefined && { authorization }),
    });
    const CSV = '/integration/device/csvExport';
    let n = 0;
    /** A freshly signed device request each call: a signature is accepted once. */
    const signed = (path: string, o: { secret?: string; method?: string } = {}) => {
      const c = signedCheck(device.id, o.secret ?? device.secret, {
        method: o.method ?? 'GET',
        path: `${path}?n=${n++}`,
        host: 'api.example.com',
        body: '',
      });
      return {
        authorization: c.authorization,
        'x-bcot-timestamp': c.timestamp,
        'x-original-method': c.method,
        'x-original-uri': c.path,
        'x-original-host': 'api.example.com',
      };
    };

    // [name, headers (fresh per call), clock offset]: every answer the fast path gives.
    const cases: [string, () => Record<string, string>, number?][] = [
      ['allowed, Bearer key', () => GET(CSV, `Bearer ${keys.read}`)],
      ['allowed, the bare key', () => GET(CSV, keys.read as string)],
      ['allowed, lower-case bearer', () => GET(CSV, `bearer ${keys.read}`)],
      ['allowed, upper-case BEARER and extra spaces (parsed)', () => GET(CSV, `BEARER   ${keys.read}  `)],
      ['allowed, with a query', () => GET(`${CSV}?eui=00-11&x=1`, `Bearer ${keys.read}`)],
      ['allowed, lower-case method', () => GET(CSV, `Bearer ${keys.read}`, 'post')],
      ['allowed, percent-encoded path', () => GET('/integration/device/csv%45xport', `Bearer ${keys.read}`)],
      ['allowed, a role (second scope grants)', () => GET('/integration/mcastTransfer', `Bearer ${keys.full}`)],
      ['allowed, customer key', () => GET('/integration/usage/details?from=1', `Bearer ${keys.customer}`)],
      ['SCOPE_DENIED', () => GET('/integration/device/status?eui=1', `Bearer ${keys.read}`)],
      ['SCOPE_DENIED, dot segments', () => GET('/integration/device/../device/csvExport', `Bearer ${keys.read}`)],
      ['SCOPE_DENIED, encoded slash', () => GET('/integration/device%2FcsvExport', `Bearer ${keys.read}`)],
      ['SCOPE_DENIED, a fragment', () => GET('/integration/device/status#x', `Bearer ${keys.read}`)],
      ['SCOPE_DENIED, no leading slash', () => GET('integration/device/csvExport', `Bearer ${keys.read}`)],
      ['REVOKED', () => GET(CSV, `Bearer ${keys.revoked}`)],
      ['DISABLED (application revoked)', () => GET(CSV, `Bearer ${keys.disabled}`)],
      ['EXPIRED', () => GET(CSV, `Bearer ${keys.expiring}`), 120_000],
      ['NOT_FOUND', () => GET(CSV, `Bearer ${generateKey()}`)],
      ['MALFORMED', () => GET(CSV, 'Bearer kw_nope')],
      ['MALFORMED, a key of 600 characters', () => GET(CSV, `Bearer ${'k'.repeat(600)}`)],
      ['UNAUTHORIZED, no credential', () => GET(CSV)],
      ['UNAUTHORIZED, blank credential', () => GET(CSV, '   ')],
      ['UNSUPPORTED_CREDENTIAL', () => GET(CSV, 'Basic dXNlcjpwYXNz')],
      ['RATE_LIMITED (429, Retry-After, RateLimit-*)', () => GET(CSV, `Bearer ${keys.over}`)],
      ['RATE_LIMITED, but the catalogue refuses first', () => GET('/integration/device/status', `Bearer ${keys.over}`)],
      ['USAGE_EXCEEDED', () => GET(CSV, `Bearer ${keys.spent}`)],
      ['CTN1 signature, allowed', () => signed('/integration/device/status')],
      ['CTN1 signature, SCOPE_DENIED', () => signed('/integration/usage/details')],
      ['CTN1 signature, INVALID_SIGNATURE', () => signed('/integration/device/status', { secret: 'x'.repeat(40) })],
      ['CTN1 signature, MISSING_HEADERS', () => ({ ...signed('/integration/device/status'), 'x-bcot-timestamp': '' })],
    ];

    it.each(cases)('the fast path answers exactly like the Fastify route: %s', async (_name, headers, offset = 0) => {
      const at = Date.now() + offset;
      h.kw.ctx.now = () => at;
      try {
        const viaFast = await overHttp(`${fast.url}/v1/authorize`, 'GET', headers());
        const viaServer = await overHttp(`${base}/v1/authorize`, 'GET', headers());
        const injected = await h.kw.app.inject({ method: 'GET', url: '/v1/authorize', headers: headers() });
        const viaFastify = normalize({
          status: injected.statusCode,
          headers: Object.fromEntries(Object.entries(injected.headers).map(([k, v]) => [k, v === undefined ? undefined : String(v)])),
          body: injected.body,
          requestId: String(injected.headers['x-request-id'] ?? ''),
        });
        expect(viaFast.status, 'the fast path took the request').not.toBe(599);
        expect(normalize(viaFast)).toEqual(viaFastify);
        expect(normalize(viaServer)).toEqual(viaFastify);
        expect(viaFastify.hasRequestId && viaFastify.bodyHasTheRequestId && viaFastify.lengthMatches).toBe(true);
        expect(viaFastify.status).toBeLessThan(500);
      } finally {
        h.kw.ctx.now = Date.now;
      }
    });

    // examples/nginx.conf asks with HEAD (nginx keeps an auth subrequest's connection only without a body).
    it.each(cases)("HEAD is answered on the fast path like the Fastify route's HEAD: %s", async (_name, headers, offset = 0) => {
      const at = Date.now() + offset;
      h.kw.ctx.now = () => at;
      try {
        const viaFast = await overHttp(`${fast.url}/v1/authorize`, 'HEAD', headers());
        const viaGet = await overHttp(`${fast.url}/v1/authorize`, 'GET', headers());
        const injected = fromInject(await h.kw.app.inject({ method: 'HEAD', url: '/v1/authorize', headers: headers() }));
        expect(viaFast.status, 'the fast path took the request').not.toBe(599);
        expect(viaFast.body).toBe('');
        expect(injected.body).toBe('');
        const a = normalize(viaFast);
        const b = normalize(injected);
        expect({ status: a.status, headers: a.headers, hasRequestId: a.hasRequestId }).toEqual({
          status: b.status,
          headers: b.headers,
          hasRequestId: b.hasRequestId,
        });
        expect(viaFast.headers['content-length']).toBe(injected.headers['content-length']);
        expect(viaFast.status).toBe(viaGet.status);
      } finally {
        h.kw.ctx.now = Date.now;
      }
    });

    // Requests the fast path leaves to Fastify: the server still answers them as the route does.
    const declined: [string, string, string, Record<string, string>][] = [
      ['missing X-Original-URI (400)', 'GET', '/v1/authorize', { 'x-original-method': 'GET', authorization: `Bearer k` }],
      ['missing X-Original-Method (400)', 'GET', '/v1/authorize', { 'x-original-uri': CSV }],
      ['empty X-Original-URI (400)', 'GET', '/v1/authorize', { 'x-original-uri': '', 'x-original-method': 'GET' }],
      ['X-Original-Method too long (400)', 'GET', '/v1/authorize', { 'x-original-uri': CSV, 'x-original-method': 'G'.repeat(17) }],
      ['X-Content-SHA256 too long (400)', 'GET', '/v1/authorize', { ...GET(CSV), 'x-content-sha256': 'a'.repeat(129) }],
      ['POST', 'POST', '/v1/authorize', GET(CSV, 'Bearer kw_nope')],
      ['a query on /v1/authorize', 'GET', '/v1/authorize?x=1', GET(CSV, 'Bearer kw_nope')],
      ['the path-appended form', 'GET', '/v1/authorize/integration/device/csvExport', { authorization: 'Bearer kw_nope' }],
    ];

    it.each(declined)('declines, and the server answers as Fastify: %s', async (_name, method, path, headers) => {
      expect((await overHttp(`${fast.url}${path}`, method, headers)).status).toBe(599);
      const viaServer = await overHttp(`${base}${path}`, method, headers);
      const injected = await h.kw.app.inject({ method: method as 'GET', url: path, headers });
      expect(normalize(viaServer)).toEqual(
        normalize({
          status: injected.statusCode,
          headers: Object.fromEntries(Object.entries(injected.headers).map(([k, v]) => [k, v === undefined ? undefined : String(v)])),
          body: injected.body,
          requestId: String(injected.headers['x-request-id'] ?? ''),
        }),
      );
    });

    it('declines a GET with a body (Fastify reads and ignores it)', async () => {
      const { request } = await import('node:http');
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${fast.url}/v1/authorize`, {
          method: 'GET',
          headers: { ...GET(CSV, `Bearer ${keys.read}`), 'content-length': '2' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('{}');
      });
      expect(status).toBe(599);
    });

    it('a store that fails while a key is looked up: 503 STORE_UNAVAILABLE (Retry-After) or 500, as the route answers', async () => {
      const lookup = h.kw.ctx.keyLookup;
      const failures: [unknown, number][] = [
        [new KeywardError('STORE_UNAVAILABLE', 'The database did not answer in time.'), 503],
        [new Error('boom: a bug, not an answer'), 500],
      ];
      try {
        for (const [failure, status] of failures) {
          h.kw.ctx.keyLookup = () => Promise.reject(failure);
          // An unknown key: neither the cache nor its negative entries can answer it.
          const headers = GET(CSV, `Bearer ${generateKey()}`);
          const viaFast = await overHttp(`${fast.url}/v1/authorize`, 'GET', headers);
          const viaFastify = normalize(fromInject(await h.kw.app.inject({ method: 'GET', url: '/v1/authorize', headers })));
          expect(viaFastify.status).toBe(status);
          expect(normalize(viaFast)).toEqual(viaFastify);
          expect(viaFast.body).not.toContain('boom');
        }
        expect(fast.logged).toHaveLength(1); // the bug is logged; the unavailable store is an answer
      } finally {
        h.kw.ctx.keyLookup = lookup;
        fast.logged.length = 0;
      }
    });

    it("a limited key's allowed answer, with its RateLimit-* headers, is the Fastify route's", async () => {
      // Each path consumes, so each gets a fresh key with the same limits: the answers differ only in the ids.
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
          const viaFast = await overHttp(`${fast.url}/v1/authorize`, 'GET', GET(CSV, `Bearer ${a.key}`));
          const injected = await h.kw.app.inject({ method: 'GET', url: '/v1/authorize', headers: GET(CSV, `Bearer ${b.key}`) });
          expect(viaFast.headers['ratelimit-remaining']).toBe(String(99 - i));
          expect(viaFast.headers['ratelimit-policy']).toBe('1000;w=60, 5000;w=3600');
          const swap = (s: string | undefined) => s?.replaceAll(a.keyId, b.keyId).replaceAll(a.applicationId, b.applicationId);
          const fastN = normalize(viaFast);
          const fastify = normalize({
            status: injected.statusCode,
            headers: Object.fromEntries(Object.entries(injected.headers).map(([k, v]) => [k, v === undefined ? undefined : String(v)])),
            body: injected.body,
            requestId: String(injected.headers['x-request-id'] ?? ''),
          });
          expect({
            ...fastN,
            body: swap(fastN.body),
            headers: Object.fromEntries(Object.entries(fastN.headers).map(([k, v]) => [k, swap(v)])),
          }).toEqual(fastify);
        }
      } finally {
        h.kw.ctx.now = Date.now;
      }
    });

    const ask = async (key: string, uri = CSV) => {
      const res = await fetch(`${base}/v1/authorize`, { headers: GET(uri, `Bearer ${key}`) });
      return res.status === 200 ? 'allowed' : (((await res.json()) as { error: { code: string } }).error.code as string);
    };

    it('a revoke is seen by the fast path as soon as it has returned (key, then its application)', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      expect(await ask(k.key)).toBe('allowed');
      expect(await ask(k.key)).toBe('allowed');
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
      expect(await ask(k.key)).toBe('REVOKED');
      const other = await appWithKey(h, t, t.adminToken, ['device:read']);
      expect(await ask(other.key)).toBe('allowed');
      await h.call('POST', `/v1/accounts/${t.accountId}/applications/${other.applicationId}/revoke`, { token: t.adminToken });
      expect(await ask(other.key)).toBe('DISABLED');
    });

    it('a limits change is seen at once: the answers prepared for the old record go with it', async () => {
      const t2 = await h.tenant();
      const k = await appWithKey(h, t2, t2.adminToken, ['device:read']);
      const limitOf = async () =>
        (await fetch(`${base}/v1/authorize`, { headers: GET(CSV, `Bearer ${k.key}`) })).headers.get('ratelimit-limit');
      expect(await limitOf()).toBeNull();
      const patched = await h.call('PATCH', `/v1/accounts/${t2.accountId}/keys/${k.keyId}`, {
        token: t2.adminToken,
        body: { ratelimits: [{ name: 'per-minute', limit: 7, window: 'minute' }] },
      });
      expect(patched.status).toBe(200);
      expect(await limitOf()).toBe('7');
    });

    it('a prepared answer does not outlive the key: allowed turns EXPIRED when the clock passes the expiry', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read'], { expiresAt: Date.now() + 60_000 });
      expect(await ask(k.key)).toBe('allowed');
      const realNow = h.kw.ctx.now;
      h.kw.ctx.now = () => realNow() + 120_000;
      try {
        expect(await ask(k.key)).toBe('EXPIRED');
      } finally {
        h.kw.ctx.now = realNow;
      }
    });

    it('every decision is counted in keyward_authorize_total, and every allowed one as a use of the key', async () => {
      const t = await h.tenant();
      const metrics = h.kw.ctx.metrics;
      if (metrics === undefined) throw new Error('metrics are on by default');
      const counts = () => new Map(metrics.authorize.authorize);
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      expect(await ask(k.key)).toBe('allowed'); // the first answer is prepared; the next ones reuse it
      const before = counts();
      for (let i = 0; i < 4; i++) expect(await ask(k.key)).toBe('allowed');
      expect(await ask(k.key, '/integration/device/status')).toBe('SCOPE_DENIED');
      expect(await ask(keys.revoked as string)).toBe('REVOKED');
      expect(await ask(keys.over as string)).toBe('RATE_LIMITED');
      expect(await ask('kw_nope')).toBe('MALFORMED');
      const after = counts();
      const delta = (o: string) => (after.get(o) ?? 0) - (before.get(o) ?? 0);
      expect(['allowed', 'SCOPE_DENIED', 'REVOKED', 'RATE_LIMITED', 'MALFORMED'].map(delta)).toEqual([4, 1, 1, 1, 1]);

      await h.kw.ctx.usage.flush();
      const usage = await h.call('GET', `/v1/accounts/${t.accountId}/usage?keyId=${k.keyId}`, { token: t.adminToken });
      const [series] = usage.body.series;
      expect(series.keyId).toBe(k.keyId);
      // Refusals (the SCOPE_DENIED above) are not uses.
      expect(series.points.reduce((sum: number, p: { count: number }) => sum + p.count, 0)).toBe(5);
    });

    it('a rate-limited request is counted as a rejected use, not a use', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read'], { ratelimits: [{ name: 'daily', limit: 2, window: 'day' }] });
      expect([await ask(k.key), await ask(k.key), await ask(k.key), await ask(k.key)]).toEqual([
        'allowed',
        'allowed',
        'RATE_LIMITED',
        'RATE_LIMITED',
      ]);
      await h.kw.ctx.usage.flush();
      const usage = await h.call('GET', `/v1/accounts/${t.accountId}/usage?keyId=${k.keyId}`, { token: t.adminToken });
      const points = usage.body.series[0].points as { count: number; rejected?: number }[];
      expect(points.reduce((sum, p) => sum + p.count, 0)).toBe(2);
      expect(points.reduce((sum, p) => sum + (p.rejected ?? 0), 0)).toBe(2);
    });

    it('a key the cache has not seen is read from the store once, then answered from the cache', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const cache = h.kw.ctx.verificationCache;
      if (cache === undefined) throw new Error('the verification cache is on by default');
      cache.clear();
      const loads = cache.stats().loads;
      expect(await ask(k.key)).toBe('allowed');
      expect(await ask(k.key)).toBe('allowed');
      expect(await ask(k.key)).toBe('allowed');
      expect(cache.stats().loads - loads).toBe(1);
    });
  });
}
