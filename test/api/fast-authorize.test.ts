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
    let disabledDevice: { id: string; secret: string };
    let limitedDevice: { id: string; secret: string };
    let replayed: Record<string, string>;
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
      const off = await createDevice(h, t);
      await h.call('PATCH', `/v1/accounts/${t.accountId}/devices/${off.id}`, { token: t.adminToken, body: { status: 'disabled' } });
      disabledDevice = { id: off.id, secret: off.secret as string };
      // A signature already used once: every later call answers REPLAYED.
      replayed = signed('/integration/device/status');
      expect((await overHttp(`${base}/v1/authorize`, 'GET', replayed)).status).toBe(200);
      // A device whose account's one request a day is spent.
      const t3 = await h.tenant();
      const limitedDev = await createDevice(h, t3);
      limitedDevice = { id: limitedDev.id, secret: limitedDev.secret as string };
      const set = await h.call('PATCH', `/v1/accounts/${t3.accountId}`, {
        token: h.operatorToken,
        body: { ratelimits: [{ name: 'account', limit: 1, window: 'day' }] },
      });
      expect(set.status).toBe(200);
      expect((await overHttp(`${base}/v1/authorize`, 'GET', signed('/integration/device/status', { device: limitedDevice }))).status).toBe(
        200,
      );
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
    const signed = (
      path: string,
      o: { secret?: string; method?: string; device?: { id: string; secret: string }; body?: string; now?: number; signDate?: string } = {},
    ) => {
      const dev = o.device ?? device;
      const c = signedCheck(dev.id, o.secret ?? dev.secret, {
        method: o.method ?? 'GET',
        path: `${path}?n=${n++}`,
        host: 'api.example.com',
        body: o.body ?? '',
        ...(o.now !== undefined && { now: o.now }),
        ...(o.signDate !== undefined && { signDate: o.signDate }),
      });
      return {
        authorization: c.authorization,
        'x-bcot-timestamp': c.timestamp,
        'x-original-method': c.method,
        'x-original-uri': c.path,
        'x-original-host': 'api.example.com',
        ...(o.body !== undefined && { 'x-content-sha256': c.bodyHash.toUpperCase() }),
      };
    };
    const STATUS = '/integration/device/status';

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
      ['CTN1 signature, a body hash in X-Content-SHA256 (upper-case hex)', () => signed(STATUS, { body: '{"a":1}' })],
      ['CTN1 signature, lower-case method', () => signed(STATUS, { method: 'get' })],
      ['CTN1 signature, an unknown device: INVALID_SIGNATURE', () => signed(STATUS, { device: { id: 'x'.repeat(20), secret: 'y' } })],
      ['CTN1 signature, BAD_TIMESTAMP', () => ({ ...signed(STATUS), 'x-bcot-timestamp': '20201301T000000Z' })],
      ['CTN1 signature, TIMESTAMP_OUT_OF_WINDOW', () => signed(STATUS, { now: Date.now() - 400_000 })],
      [
        'CTN1 signature, SIGN_DATE_OUT_OF_RANGE',
        () => signed(STATUS, { signDate: new Date(Date.now() - 8 * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '') }),
      ],
      ['CTN1 signature, MALFORMED_AUTHORIZATION', () => ({ ...signed(STATUS), authorization: 'CTN1-HMAC-SHA256 Credential=x' })],
      [
        'CTN1 signature, spaces around the header (parsed)',
        () => {
          const r = signed(STATUS);
          return { ...r, authorization: ` ${r.authorization}  ` };
        },
      ],
      [
        'CTN1 signature, no X-Original-Host',
        () => {
          const { 'x-original-host': _host, ...r } = signed(STATUS);
          return r;
        },
      ],
      ['CTN1 signature, REPLAYED', () => replayed],
      ['CTN1 signature, DEVICE_DISABLED', () => signed(STATUS, { device: disabledDevice })],
      ["CTN1 signature, the account's limit: RATE_LIMITED", () => signed(STATUS, { device: limitedDevice })],
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

    /** The code a signed request gets from the server with only the fast path, 'allowed' for a 200. */
    const askSigned = async (headers: Record<string, string>) => {
      const res = await fetch(`${fast.url}/v1/authorize`, { headers });
      expect(res.status, 'the fast path took the request').not.toBe(599);
      return res.status === 200 ? 'allowed' : (((await res.json()) as { error: { code: string } }).error.code as string);
    };

    it("a cached device's signed request is verified in the same turn: no asynchronous claim, no store read", async () => {
      const t = await h.tenant();
      const dev = await createDevice(h, t);
      const d = { id: dev.id, secret: dev.secret as string };
      const { replay, deviceCache } = h.kw.ctx;
      if (deviceCache === undefined) throw new Error('the device cache is on by default');
      const claim = replay.claim;
      let asyncClaims = 0;
      replay.claim = (...args) => {
        asyncClaims++;
        return claim.apply(replay, args);
      };
      try {
        expect(await askSigned(signed(STATUS, { device: d }))).toBe('allowed'); // reads, opens, writes the last use
        expect(asyncClaims).toBe(1);
        const loads = deviceCache.stats().loads;
        const again = signed(STATUS, { device: d });
        expect(await askSigned(again)).toBe('allowed');
        expect(await askSigned(again)).toBe('REPLAYED');
        expect(await askSigned(signed('/integration/usage/details', { device: d }))).toBe('SCOPE_DENIED');
        expect(await askSigned(signed(STATUS, { device: d, secret: 'z'.repeat(128) }))).toBe('INVALID_SIGNATURE');
        expect(asyncClaims, 'answered without verifySignedRequest').toBe(1);
        expect(deviceCache.stats().loads).toBe(loads);
      } finally {
        replay.claim = claim;
      }
    });

    it('a device disable or secret reset is seen by the same-turn path as soon as it has returned', async () => {
      const t = await h.tenant();
      const dev = await createDevice(h, t);
      const d = { id: dev.id, secret: dev.secret as string };
      expect(await askSigned(signed(STATUS, { device: d }))).toBe('allowed');
      expect(await askSigned(signed(STATUS, { device: d }))).toBe('allowed');
      const reset = await h.call('POST', `/v1/accounts/${t.accountId}/devices/${d.id}/reset-secret`, {
        token: t.adminToken,
        body: { useSharedSecret: false },
      });
      expect(reset.status).toBe(200);
      expect(await askSigned(signed(STATUS, { device: d }))).toBe('INVALID_SIGNATURE');
      const fresh = { id: d.id, secret: reset.body.secret as string };
      expect(await askSigned(signed(STATUS, { device: fresh }))).toBe('allowed');
      expect(await askSigned(signed(STATUS, { device: fresh }))).toBe('allowed');
      await h.call('PATCH', `/v1/accounts/${t.accountId}/devices/${d.id}`, { token: t.adminToken, body: { status: 'disabled' } });
      expect(await askSigned(signed(STATUS, { device: fresh }))).toBe('DEVICE_DISABLED');
      expect(await askSigned(signed(STATUS, { device: fresh }))).toBe('DEVICE_DISABLED');
      await h.call('PATCH', `/v1/accounts/${t.accountId}/devices/${d.id}`, { token: t.adminToken, body: { status: 'active' } });
      expect(await askSigned(signed(STATUS, { device: fresh }))).toBe('allowed');
    });

    it("an account limit set on a device's account is applied at once, with its RateLimit-* headers as the route's", async () => {
      const t = await h.tenant();
      const dev = await createDevice(h, t);
      const d = { id: dev.id, secret: dev.secret as string };
      expect(await askSigned(signed(STATUS, { device: d }))).toBe('allowed');
      const set = await h.call('PATCH', `/v1/accounts/${t.accountId}`, {
        token: h.operatorToken,
        body: { ratelimits: [{ name: 'account', limit: 5, window: 'day' }] },
      });
      expect(set.status).toBe(200);
      const viaFast = await overHttp(`${fast.url}/v1/authorize`, 'GET', signed(STATUS, { device: d }));
      const injected = fromInject(await h.kw.app.inject({ method: 'GET', url: '/v1/authorize', headers: signed(STATUS, { device: d }) }));
      expect(viaFast.headers['ratelimit-remaining']).toBe('4');
      expect(injected.headers['ratelimit-remaining']).toBe('3');
      // Remaining and reset move with each request; the rest must be equal.
      const { 'ratelimit-remaining': _a, 'ratelimit-reset': _c, ...fastRest } = normalize(viaFast).headers;
      const { 'ratelimit-remaining': _b, 'ratelimit-reset': _d, ...routeRest } = normalize(injected).headers;
      expect(fastRest).toEqual(routeRest);
      expect(normalize(viaFast).body).toBe(normalize(injected).body);
      for (let i = 0; i < 3; i++) await askSigned(signed(STATUS, { device: d }));
      expect(await askSigned(signed(STATUS, { device: d }))).toBe('RATE_LIMITED');
    });

    it('signed requests on the same-turn path are counted as device uses, and refusals by account limits as rejected', async () => {
      const t = await h.tenant();
      const dev = await createDevice(h, t);
      const d = { id: dev.id, secret: dev.secret as string };
      expect(await askSigned(signed(STATUS, { device: d }))).toBe('allowed'); // the first one loads the cache
      await h.kw.ctx.usage.flush();
      const totals = async () => {
        await h.kw.ctx.usage.flush();
        const got = await h.call('GET', `/v1/accounts/${t.accountId}/devices/${d.id}`, { token: t.adminToken });
        return [got.body.usageCount, got.body.rejectedCount];
      };
      expect(await totals()).toEqual([1, 0]);
      expect(await askSigned(signed(STATUS, { device: d }))).toBe('allowed');
      expect(await askSigned(signed(STATUS, { device: d }))).toBe('allowed');
      expect(await askSigned(signed('/integration/usage/details', { device: d }))).toBe('SCOPE_DENIED'); // not a use
      expect(await totals()).toEqual([3, 0]);
      const set = await h.call('PATCH', `/v1/accounts/${t.accountId}`, {
        token: h.operatorToken,
        body: { ratelimits: [{ name: 'account', limit: 1, window: 'day' }] },
      });
      expect(set.status).toBe(200);
      expect(await askSigned(signed(STATUS, { device: d }))).toBe('allowed');
      expect(await askSigned(signed(STATUS, { device: d }))).toBe('RATE_LIMITED');
      expect(await totals()).toEqual([4, 1]);
    });

    it('signed requests are counted in keyward_authorize_total on the same-turn path too', async () => {
      const metrics = h.kw.ctx.metrics;
      if (metrics === undefined) throw new Error('metrics are on by default');
      const counts = () => new Map(metrics.authorize.authorize);
      expect(await askSigned(signed(STATUS))).toBe('allowed');
      const before = counts();
      const once = signed(STATUS);
      expect(await askSigned(once)).toBe('allowed');
      expect(await askSigned(once)).toBe('REPLAYED');
      expect(await askSigned(signed('/integration/usage/details'))).toBe('SCOPE_DENIED');
      const after = counts();
      const delta = (o: string) => (after.get(o) ?? 0) - (before.get(o) ?? 0);
      expect(['allowed', 'REPLAYED', 'SCOPE_DENIED'].map(delta)).toEqual([1, 1, 1]);
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
