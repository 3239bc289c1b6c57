import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/core/key-format.js';
import { encodeCursor, encodeListCursor } from '../../src/http/cursor.js';
import { createFastVerify } from '../../src/http/fast-verify.js';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { open, rawExchange, untilClosed } from '../raw-http.js';
import { createDevice, signedCheck } from '../signing.js';

/**
 * An outside review of the surface added last: hostile input on the list APIs, the operator and
 * plan routes, and the node:http fast paths, answered 4xx with stable codes, never another
 * tenant's rows, never a 500.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`review attacks [${dialect.name}]`, () => {
    let h: Harness;
    let a: Tenant;
    let b: Tenant;
    let port: number;
    let bApp: string;
    let aKey: { applicationId: string; keyId: string; key: string };
    beforeAll(async () => {
      h = await createHarness(dialect);
      await h.kw.app.listen({ host: '127.0.0.1', port: 0 });
      port = (h.kw.app.server.address() as AddressInfo).port;
      [a, b] = [await h.tenant(), await h.tenant()];
      aKey = await appWithKey(h, a, a.adminToken, ['device:read']);
      bApp = (await appWithKey(h, b, b.adminToken, ['device:read'])).applicationId;
    });
    afterAll(async () => h?.close());

    const listUrls = () => [
      `/v1/accounts/${a.accountId}/keys`,
      `/v1/accounts/${a.accountId}/applications`,
      `/v1/accounts/${a.accountId}/applications/${aKey.applicationId}/keys`,
      `/v1/accounts/${a.accountId}/devices`,
      `/v1/accounts/${a.accountId}/users`,
    ];

    it('a forged list cursor with any string value is a page or a 400, never a 500', async () => {
      const values = ['a\u0000b', '\ud800', 'x'.repeat(1024), "' or 1=1 --", '\\', '%'];
      for (const url of listUrls()) {
        for (const value of values) {
          const cursor = encodeListCursor({ sort: 'name.asc', value, id: 'x' });
          const res = await h.call('GET', `${url}?sort=name&limit=2&cursor=${cursor}`, { token: a.adminToken });
          expect([200, 400], `${url} ${JSON.stringify(value)}: ${JSON.stringify(res.body)}`).toContain(res.status);
        }
        for (const value of [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0]) {
          const cursor = encodeListCursor({ sort: 'created.asc', value, id: 'x' });
          const res = await h.call('GET', `${url}?limit=2&cursor=${cursor}`, { token: a.adminToken });
          expect(res.status, `${url} ${value}: ${JSON.stringify(res.body)}`).toBe(200);
        }
      }
    });

    it('an audit cursor at the edges of its range answers a page', async () => {
      for (const createdAt of [0, 999_999_999_999_999]) {
        const res = await h.call('GET', `/v1/accounts/${a.accountId}/audit?cursor=${encodeCursor({ createdAt, id: 'x' })}`, {
          token: a.adminToken,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
    });

    const codeOf = (res: { body: any }) => res.body?.error?.code as string | undefined;

    it('hostile list queries answer 400 VALIDATION_FAILED, never a 500', async () => {
      const bad = [
        'limit=0',
        'limit=-1',
        'limit=1e9',
        'limit=1.5',
        'limit=abc',
        'limit=501',
        'sort=name%20desc',
        'sort=name;--',
        'sort=__proto__',
        'order=DESC',
        'order=asc;',
        'sort=name&sort=created',
        `q=${'x'.repeat(201)}`,
        'q=%00',
        'cursor=x',
        'cursor=!!!',
        `cursor=${'A'.repeat(5000)}`,
        `cursor=${encodeListCursor({ sort: 'created.desc', value: 1, id: 'x' })}`,
        `cursor=${encodeListCursor({ sort: 'name.asc', value: 1, id: 'x' })}`,
        `cursor=${encodeListCursor({ sort: 'created.asc', value: 'x', id: 'x' })}`,
        `cursor=${encodeListCursor({ sort: 'created.asc', value: 1.5, id: 'x' })}`,
        `cursor=${encodeListCursor({ sort: 'created.asc', value: 1, id: "x' or '1'='1" })}`,
        `cursor=${encodeCursor({ createdAt: 1, id: 'x' })}`,
      ];
      for (const url of listUrls()) {
        for (const query of bad) {
          const res = await h.call('GET', `${url}?${query}`, { token: a.adminToken });
          expect([res.status, codeOf(res)], `${url}?${query.slice(0, 60)}`).toEqual([400, 'VALIDATION_FAILED']);
          expect(JSON.stringify(res.body)).not.toContain(aKey.key);
        }
      }
      for (const query of [
        'limit=0',
        'limit=1e9',
        'cursor=x',
        `cursor=${encodeListCursor({ sort: 'created.asc', value: 1, id: 'x' })}`,
        'from=-1',
        'to=1e20',
        'action=drop',
      ]) {
        const res = await h.call('GET', `/v1/accounts/${a.accountId}/audit?${query}`, { token: a.adminToken });
        expect([res.status, codeOf(res)], `audit?${query}`).toEqual([400, 'VALIDATION_FAILED']);
      }
    });

    it('LIKE wildcards and odd text in q match themselves', async () => {
      // [q as sent, the text every hit must hold literally (undefined: only no 500)]
      const cases: [string, string | undefined][] = [
        ['%25', '%'],
        ['_', '_'],
        ['%5C', '\\'],
        ['%25%25', '%%'],
        ['a%25', 'a%'],
        ['%5F%5F', '__'],
        ["'", "'"],
        ['*', '*'],
        ['%ED%A0%80', undefined],
        ['%FF', undefined],
      ];
      for (const [q, literal] of cases) {
        for (const url of listUrls()) {
          const res = await h.call('GET', `${url}?q=${q}`, { token: a.adminToken });
          expect(res.status, `${url}?q=${q}: ${JSON.stringify(res.body)}`).toBe(200);
          const items = Object.values(res.body).find(Array.isArray) as unknown[];
          if (literal !== undefined)
            for (const item of items) expect(JSON.stringify(item).toLowerCase(), q).toContain(JSON.stringify(literal).slice(1, -1));
        }
      }
    });

    it("another tenant's cursor or ids in filters never reach its rows", async () => {
      const bKeys = await h.call('GET', `/v1/accounts/${b.accountId}/keys?limit=1`, { token: b.adminToken });
      expect(bKeys.status).toBe(200);
      await appWithKey(h, b, b.adminToken, ['device:read']);
      const bPage = await h.call('GET', `/v1/accounts/${b.accountId}/keys?limit=1`, { token: b.adminToken });
      const bCursor = bPage.body.nextCursor as string;
      expect(bCursor).toEqual(expect.any(String));
      const viaA = await h.call('GET', `/v1/accounts/${a.accountId}/keys?limit=5&cursor=${bCursor}`, { token: a.adminToken });
      expect(viaA.status).toBe(200);
      for (const k of viaA.body.keys) expect(k.accountId ?? a.accountId).toBe(a.accountId);
      const filtered = await h.call('GET', `/v1/accounts/${a.accountId}/keys?applicationId=${bApp}`, { token: a.adminToken });
      // Another account's application answers exactly as one that does not exist: nothing to enumerate.
      const missing = await h.call('GET', `/v1/accounts/${a.accountId}/keys?applicationId=app_doesnotexist0000`, { token: a.adminToken });
      expect([filtered.status, filtered.body]).toEqual([200, { keys: [], nextCursor: null }]);
      expect([missing.status, missing.body]).toEqual([200, { keys: [], nextCursor: null }]);
      const appKeys = await h.call('GET', `/v1/accounts/${a.accountId}/applications/${bApp}/keys`, { token: a.adminToken });
      expect(appKeys.status).toBe(404);
      const audit = await h.call('GET', `/v1/accounts/${a.accountId}/audit?actor=${b.adminId}`, { token: a.adminToken });
      expect(audit.status).toBe(200);
      expect(audit.body.events).toEqual([]);
      const auditTarget = await h.call('GET', `/v1/accounts/${a.accountId}/audit?targetId=${bApp}`, { token: a.adminToken });
      expect(auditTarget.body.events).toEqual([]);
    });

    it('accounts usage and plans: only the credentials their documents name', async () => {
      const member = await h.user(a, { permissions: ['keys.view.any', 'applications.view'] });
      const plainKey = (await appWithKey(h, a, a.adminToken, ['device:read'])).key;
      const mgmtKey = (await appWithKey(h, a, a.adminToken, ['keyward:keys.view.any'])).key;
      const usage = '/v1/accounts/usage';
      expect((await h.call('GET', usage, { token: h.operatorToken })).status).toBe(200);
      for (const [who, token, status, code] of [
        ['admin session', a.adminToken, 403, 'FORBIDDEN'],
        ['member session', member.token, 403, 'FORBIDDEN'],
        ['key without management scope', plainKey, 401, 'UNAUTHORIZED'],
        ['management key', mgmtKey, 403, 'FORBIDDEN'],
        ['garbage', 'x'.repeat(10_000), 401, undefined],
        ['none', undefined, 401, undefined],
      ] as const) {
        const res = await h.call('GET', usage, { token });
        expect([res.status, who], JSON.stringify(res.body)).toEqual([status, who]);
        if (code) expect(codeOf(res)).toBe(code);
        expect(JSON.stringify(res.body)).not.toContain(a.accountId);
      }
      expect((await h.call('GET', '/v1/plans', { token: h.operatorToken })).status).toBe(200);
      expect((await h.call('GET', '/v1/plans', { token: b.adminToken })).status).toBe(200);
      for (const [who, token, status] of [
        ['member session', member.token, 403],
        ['key without management scope', plainKey, 401],
        ['management key without admin', mgmtKey, 403],
        ['none', undefined, 401],
      ] as const) {
        const res = await h.call('GET', '/v1/plans', { token });
        expect([res.status, who], JSON.stringify(res.body)).toEqual([status, who]);
      }
    });

    const authorizeReq = (uri: string, authorization: string, o: { method?: string; close?: boolean } = {}) =>
      `${o.method ?? 'GET'} /v1/authorize HTTP/1.1\r\nHost: x\r\nX-Original-Method: GET\r\nX-Original-URI: ${uri}\r\nAuthorization: ${authorization}\r\n${o.close ? 'Connection: close\r\n' : ''}\r\n`;
    const CSV = '/integration/device/csvExport';

    it("the installed fast path takes HEAD /v1/authorize as well as GET (nginx's auth_request asks with HEAD)", async () => {
      const logged: unknown[] = [];
      const fast = createFastVerify(h.kw.ctx, { bodyLimit: 1024 * 1024, logError: (e) => logged.push(e) });
      const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
        if (!fast(req, res)) res.writeHead(599).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const fastPort = (server.address() as AddressInfo).port;
        for (const method of ['GET', 'HEAD']) {
          const r = await rawExchange(fastPort, authorizeReq(CSV, `Bearer ${aKey.key}`, { method, close: true }), 5000);
          expect([method, r.status, r.headers['x-keyward-key-id']]).toEqual([method, 200, aKey.keyId]);
          expect(r.body).toBe(method === 'HEAD' ? '' : r.body);
        }
        expect(logged).toEqual([]);
      } finally {
        await new Promise((r) => server.close(r));
      }
    });

    it('pipelined gateway requests, cached, uncached and refused, are answered in order on one connection', async () => {
      const unknown = generateKey();
      const fresh = (await appWithKey(h, a, a.adminToken, ['device:read'])).key; // not yet in the verification cache
      const socket = await open(port);
      const closed = untilClosed(socket, 10_000);
      socket.write(
        authorizeReq(CSV, `Bearer ${fresh}`) +
          authorizeReq(CSV, `Bearer ${unknown}`) +
          authorizeReq('/integration/device/status', `Bearer ${aKey.key}`) +
          `POST /v1/keys/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${JSON.stringify({ key: aKey.key }).length}\r\n\r\n${JSON.stringify({ key: aKey.key })}` +
          authorizeReq(CSV, `Bearer ${aKey.key}`, { method: 'HEAD' }) +
          authorizeReq(CSV, 'Basic eDp5', { close: true }),
      );
      const raw = (await closed).raw;
      const statuses = [...raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
      expect(statuses).toEqual([200, 401, 403, 200, 200, 401]);
      const codes = [...raw.matchAll(/"code":"([A-Z_]+)"/g)].map((m) => m[1]);
      expect(codes).toEqual(['NOT_FOUND', 'SCOPE_DENIED', 'VALID', 'UNSUPPORTED_CREDENTIAL']);
    });

    it('clients that reset mid-request or mid-answer leave the server serving, with nothing logged as an error', async () => {
      const errors: unknown[] = [];
      const original = h.kw.app.log.error.bind(h.kw.app.log);
      h.kw.app.log.error = ((...args: unknown[]) => {
        errors.push(args[0]);
        return (original as (...a: unknown[]) => void)(...args);
      }) as typeof h.kw.app.log.error;
      try {
        const verifyBody = JSON.stringify({ key: generateKey() });
        const requests = [
          authorizeReq(CSV, `Bearer ${generateKey()}`), // answered after a store read: the socket is gone by then
          authorizeReq(CSV, `Bearer ${aKey.key}`),
          `POST /v1/keys/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${verifyBody.length}\r\n\r\n${verifyBody}`,
          `POST /v1/keys/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"key":`, // mid-body
          `POST /v1/signatures/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`,
        ];
        for (let round = 0; round < 5; round++) {
          for (const request of requests) {
            const socket = await open(port);
            socket.on('error', () => {});
            socket.write(request);
            socket.resetAndDestroy();
          }
        }
        await new Promise((r) => setTimeout(r, 200));
        const after = await rawExchange(port, authorizeReq(CSV, `Bearer ${aKey.key}`, { close: true }), 5000);
        expect(after.status).toBe(200);
        expect(errors).toEqual([]);
      } finally {
        h.kw.app.log.error = original;
      }
    });

    it('10 KB hostile values on the gateway and verify routes: 4xx with a stable code, never the secret echoed', async () => {
      const big = 'A'.repeat(10_240);
      const secretish = `${aKey.key}${'x'.repeat(10_000)}`;
      const cases: [string, string, number, string | undefined][] = [
        ['10 KB X-Original-URI', authorizeReq(`/${big}`, `Bearer ${aKey.key}`, { close: true }), 400, 'VALIDATION_FAILED'],
        ['10 KB Authorization', authorizeReq(CSV, `Bearer ${secretish}`, { close: true }), 400, 'VALIDATION_FAILED'],
        [
          '10 KB X-Original-Method',
          authorizeReq(CSV, `Bearer ${aKey.key}`, { close: true }).replace('X-Original-Method: GET', `X-Original-Method: ${big}`),
          400,
          'VALIDATION_FAILED',
        ],
        [
          'CR in a header value',
          `GET /v1/authorize HTTP/1.1\r\nHost: x\r\nX-Original-Method: GET\r\nX-Original-URI: /a\rb\r\nConnection: close\r\n\r\n`,
          400,
          'MALFORMED_REQUEST',
        ],
        ['NUL in Authorization', authorizeReq(CSV, `Bearer ${aKey.key}\u0000`, { close: true }), 400, 'MALFORMED_REQUEST'],
        [
          'a 10 KB key to verify',
          `POST /v1/keys/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${secretish.length + 10}\r\nConnection: close\r\n\r\n{"key":"${secretish}"}`,
          400,
          'VALIDATION_FAILED',
        ],
      ];
      for (const [name, request, status, code] of cases) {
        const r = await rawExchange(port, request, 5000);
        expect([name, r.status, r.json?.error?.code], r.raw.slice(0, 300)).toEqual([name, status, code]);
        expect(r.raw, name).not.toContain(aKey.key);
      }
      const dev = await createDevice(h, a);
      const signed = signedCheck(dev.id, dev.secret as string);
      for (const [field, value] of [
        ['authorization', `${signed.authorization}${big}`],
        ['path', `/${big}`],
        ['host', big],
        ['bodyHash', big],
        ['timestamp', big],
        ['method', big],
      ] as const) {
        const res = await h.call('POST', '/v1/signatures/verify', { body: { ...signed, [field]: value } });
        expect([field, res.status], JSON.stringify(res.body).slice(0, 300)).toEqual([field, res.status === 200 ? 200 : 400]);
        if (res.status === 200) expect(res.body.valid).toBe(false);
        else expect(res.body.error.code).toBe('VALIDATION_FAILED');
        expect(JSON.stringify(res.body)).not.toContain(dev.secret as string);
      }
    });

    it('device rate limits: refused signatures and denied requests spend nothing, other accounts are untouched, a lifted limit holds at once', async () => {
      const t = await h.tenant();
      const other = await h.tenant();
      // One instant for the whole test: the hour window cannot roll over between the calls.
      const realNow = h.kw.ctx.now;
      const at = Date.now();
      h.kw.ctx.now = () => at;
      try {
        const dev = await createDevice(h, t);
        const otherDev = await createDevice(h, other);
        const set = await h.call('PATCH', `/v1/accounts/${t.accountId}`, {
          token: h.operatorToken,
          body: { ratelimits: [{ name: 'devices', limit: 2, window: 'hour' }] },
        });
        expect(set.status).toBe(200);
        const verify = (body: unknown) => h.call('POST', '/v1/signatures/verify', { body });
        // Refused before the limits: a wrong secret, an unknown device, a replay of a signature already used.
        const used = signedCheck(dev.id, dev.secret as string, { now: at });
        expect((await verify(used)).body.code).toBe('VALID');
        for (let i = 0; i < 5; i++) {
          expect((await verify(signedCheck(dev.id, 'x'.repeat(43), { now: at }))).body.code).toBe('INVALID_SIGNATURE');
          expect((await verify(used)).body.code).toBe('REPLAYED');
        }
        // A signed gateway request no scope grants: 403, spends nothing.
        const gateway = (path: string) => {
          const c = signedCheck(dev.id, dev.secret as string, { now: at, method: 'GET', path, host: 'api.example.com', body: '' });
          return h.call('GET', '/v1/authorize', {
            headers: {
              authorization: c.authorization,
              'x-bcot-timestamp': c.timestamp,
              'x-original-method': c.method,
              'x-original-uri': c.path,
              'x-original-host': 'api.example.com',
            },
          });
        };
        for (let i = 0; i < 3; i++) expect((await gateway(`/integration/usage/details?n=${i}`)).status).toBe(403);
        const second = await gateway('/integration/device/status?n=x');
        expect([second.status, second.headers['ratelimit-remaining']]).toEqual([200, '0']);
        const third = await verify(signedCheck(dev.id, dev.secret as string, { now: at }));
        expect([third.body.valid, third.body.code]).toEqual([false, 'RATE_LIMITED']);
        // Another account's device is not limited by this account's counters.
        const theirs = await verify(signedCheck(otherDev.id, otherDev.secret as string, { now: at }));
        expect([theirs.body.code, theirs.body.ratelimits]).toEqual(['VALID', undefined]);
        // The operator lifts the limit: the next signed request is allowed at once.
        const lifted = await h.call('PATCH', `/v1/accounts/${t.accountId}`, { token: h.operatorToken, body: { ratelimits: [] } });
        expect(lifted.status).toBe(200);
        expect((await verify(signedCheck(dev.id, dev.secret as string, { now: at }))).body.code).toBe('VALID');
        // A device secret is no management credential.
        for (const url of ['/v1/plans', '/v1/accounts/usage', `/v1/accounts/${t.accountId}/devices`]) {
          const res = await h.call('GET', url, { token: dev.secret as string });
          expect([url, res.status, res.body.error.code]).toEqual([url, 401, 'UNAUTHORIZED']);
        }
      } finally {
        h.kw.ctx.now = realNow;
      }
    });

    it("filters and q never widen what a member may see: another user's keys, customer keys", async () => {
      const mine = await h.user(a, {
        permissions: ['keys.view.mine', 'applications.create', 'keys.create.mine'],
        apiScopes: ['device:read'],
      });
      const own = await appWithKey(h, a, mine.token, ['device:read']);
      const billing = await h.call('POST', `/v1/accounts/${a.accountId}/keys`, {
        token: a.adminToken,
        body: { kind: 'customer', name: 'Billing secret', scopes: ['billing:access'] },
      });
      expect(billing.status).toBe(201);
      const adminKeyId = aKey.keyId;
      const queries = [
        '',
        'kind=customer',
        'kind=application',
        `applicationId=${aKey.applicationId}`,
        `q=${adminKeyId}`,
        'q=Billing',
        'status=active',
        'status=revoked',
        'include=revoked',
        'sort=name&limit=1',
        'sort=lastUsed&order=desc',
      ];
      for (const query of queries) {
        const res = await h.call('GET', `/v1/accounts/${a.accountId}/keys?${query}`, { token: mine.token });
        expect(res.status, query).toBe(200);
        for (const k of res.body.keys) expect([query, k.id], JSON.stringify(k)).toEqual([query, own.keyId]);
      }
      const viaApp = await h.call('GET', `/v1/accounts/${a.accountId}/applications/${aKey.applicationId}/keys?q=${adminKeyId}`, {
        token: mine.token,
      });
      expect([403, 404]).toContain(viaApp.status);
      const member = await h.user(a, { permissions: ['keys.view.any'] });
      for (const query of ['kind=customer', 'q=Billing', `q=${billing.body.accessKey.id}`]) {
        const res = await h.call('GET', `/v1/accounts/${a.accountId}/keys?${query}`, { token: member.token });
        expect([query, res.status, res.body.keys?.filter((k: { kind: string }) => k.kind === 'customer')]).toEqual([query, 200, []]);
      }
      expect((await h.call('GET', `/v1/accounts/${a.accountId}/audit`, { token: member.token })).status).toBe(403);
    });

    it('hostile X-Original-URI / X-Original-Method: the fast path answers as the Fastify route, and only the exact granted path is allowed', async () => {
      const fast = createFastVerify(h.kw.ctx, { bodyLimit: 1024 * 1024, logError: () => {} });
      const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
        if (!fast(req, res)) res.writeHead(599).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/authorize`;
      try {
        const cases: [string, string][] = [
          ['GET', 'http://evil.example/integration/device/csvExport'],
          ['GET', '//evil.example/integration/device/csvExport'],
          ['GET', '/integration/device/%2e%2e/device/csvExport'],
          ['GET', '/integration/device/%2E%2E/device/csvExport'],
          ['GET', '/integration/device/csvExport/..'],
          ['GET', '/integration/device/csvExport/.'],
          ['GET', '/integration/device/csvExport%00'],
          ['GET', '/integration/device/csvExport?x=%00'],
          ['GET', '/integration//device/csvExport'],
          ['GET', '/INTEGRATION/device/csvExport'],
          ['GET', '/integration/device/csvExport;x=1'],
          ['GET', '/integration/device/csvExport%2F..%2Fstatus'],
          ['GET', '/integration/device/csvExport/'],
          ['GET', '/integration/device/csvExport%'],
          ['GET', '/integration/device/csvExport%zz'],
          ['GET', '/integration/device/csvExport#/x'],
          ['GET', '*'],
          ['get', '/integration/device/csvExport'],
          ['G E T', '/integration/device/csvExport'],
          ['CONNECT', '/integration/device/csvExport'],
          ['*', '/integration/device/csvExport'],
        ];
        for (const [method, uri] of cases) {
          const headers = { 'x-original-method': method, 'x-original-uri': uri, authorization: `Bearer ${aKey.key}` };
          const viaFast = await fetch(url, { headers });
          const fastBody = (await viaFast.text()).replaceAll(/req_[0-9A-Za-z]+/g, 'req_X');
          const injected = await h.kw.app.inject({ method: 'GET', url: '/v1/authorize', headers });
          const fastifyBody = injected.body.replaceAll(/req_[0-9A-Za-z]+/g, 'req_X');
          expect([method, uri, viaFast.status, fastBody]).toEqual([method, uri, injected.statusCode, fastifyBody]);
          // The key's scope grants any method on exactly /integration/device/csvExport (query and fragment aside).
          const granted = uri === CSV || uri.startsWith(`${CSV}?`) || uri.startsWith(`${CSV}#`);
          expect([method, uri, injected.statusCode]).toEqual([method, uri, granted ? 200 : 403]);
        }
      } finally {
        await new Promise((r) => server.close(r));
      }
    });

    it('request smuggling on the fast paths: conflicting framing is 400 MALFORMED_REQUEST and closed; a GET body is never a second request', async () => {
      const body = JSON.stringify({ key: aKey.key });
      const smuggled = authorizeReq(CSV, `Bearer ${aKey.key}`);
      const verify = (framing: string, rest: string) =>
        `POST /v1/keys/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${framing}\r\n${rest}`;
      for (const [name, request] of [
        [
          'Content-Length and Transfer-Encoding',
          verify(`Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n`, `0\r\n\r\n${smuggled}`),
        ],
        ['two Content-Lengths', verify(`Content-Length: ${body.length}\r\nContent-Length: 0\r\n`, `${body}${smuggled}`)],
        ['a Content-Length list', verify(`Content-Length: ${body.length}, ${body.length}\r\n`, `${body}${smuggled}`)],
        ['a signed Content-Length', verify(`Content-Length: +${body.length}\r\n`, `${body}${smuggled}`)],
        ['an unknown Transfer-Encoding', verify(`Transfer-Encoding: xchunked\r\nContent-Length: ${body.length}\r\n`, `${body}${smuggled}`)],
      ] as const) {
        const r = await rawExchange(port, request, 5000);
        expect([name, r.status, r.json?.error?.code], r.raw.slice(0, 200)).toEqual([name, 400, 'MALFORMED_REQUEST']);
        expect(r.raw.match(/HTTP\/1\.1 /g), name).toHaveLength(1);
      }
      // A GET with a body that is itself a request: one answer (Fastify reads and ignores the body), then the next real request.
      const get = `GET /v1/authorize HTTP/1.1\r\nHost: x\r\nX-Original-Method: GET\r\nX-Original-URI: /integration/device/status\r\nAuthorization: Bearer ${aKey.key}\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`;
      const r = await rawExchange(port, get + authorizeReq(CSV, 'Basic eDp5', { close: true }), 5000);
      expect([...r.raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]))).toEqual([403, 401]);
    });

    it('accounts usage: activeKeys counts only keys that verify, not those a revoked application or a deleted creator disabled', async () => {
      const t = await h.tenant();
      const live = await appWithKey(h, t, t.adminToken, ['device:read']);
      const ofRevokedApp = await appWithKey(h, t, t.adminToken, ['device:read']);
      await h.call('POST', `/v1/accounts/${t.accountId}/applications/${ofRevokedApp.applicationId}/revoke`, {
        token: t.adminToken,
        body: {},
      });
      const member = await h.user(t, { permissions: ['applications.create', 'keys.create.mine'], apiScopes: ['device:read'] });
      const ofDeletedCreator = await appWithKey(h, t, member.token, ['device:read']);
      // A key the admin made in the member's application: disabled with it once the member is deleted.
      const inMembersApp = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${ofDeletedCreator.applicationId}/keys`, {
        token: t.adminToken,
        body: { name: 'admin key in member app', scopes: ['device:read'] },
      });
      expect(inMembersApp.status).toBe(201);
      expect((await h.call('DELETE', `/v1/accounts/${t.accountId}/users/${member.id}`, { token: t.adminToken, body: {} })).status).toBe(
        200,
      );
      const billing = await h.call('POST', `/v1/accounts/${t.accountId}/keys`, {
        token: t.adminToken,
        body: { kind: 'customer', name: 'Billing', scopes: ['billing:access'] },
      });
      expect(billing.status).toBe(201);
      const codes = [];
      for (const key of [live.key, ofRevokedApp.key, ofDeletedCreator.key, inMembersApp.body.key, billing.body.key]) {
        codes.push((await h.call('POST', '/v1/keys/verify', { body: { key } })).body.code);
      }
      expect(codes).toEqual(['VALID', 'DISABLED', 'DISABLED', 'DISABLED', 'VALID']);
      const r = await h.call('GET', '/v1/accounts/usage', { token: h.operatorToken });
      const row = r.body.accounts.find((x: { accountId: string }) => x.accountId === t.accountId);
      expect(row).toMatchObject({ users: 1, activeApplications: 1, activeKeys: 2 });
    });

    it('no error answer echoes a submitted secret: every body field of every operation set to a marker, as a string and nested', async () => {
      const marker = `kw_${'S3cr3tMarker'.repeat(3)}`;
      const doc = (await h.kw.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
        paths: Record<
          string,
          Record<string, { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } }>
        >;
      };
      let checked = 0;
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          const props = Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {});
          if (props.length === 0) continue;
          const url = path
            .replace('{accountId}', a.accountId)
            .replace('{applicationId}', aKey.applicationId)
            .replace('{keyId}', aKey.keyId)
            .replace(/\{[^}]+\}/g, 'x_1');
          for (const value of [marker, [marker], { x: marker }, `${marker}\u0001`, marker.repeat(300)]) {
            const body = Object.fromEntries(props.map((p) => [p, value]));
            const res = await h.kw.app.inject({
              method: method.toUpperCase() as 'POST',
              url,
              headers: { authorization: `Bearer ${a.adminToken}`, 'content-type': 'application/json' },
              payload: JSON.stringify(body),
            });
            checked++;
            expect(res.statusCode, `${method} ${url}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
            if (res.statusCode >= 400) expect(res.body, `${method} ${url}`).not.toContain('S3cr3tMarker');
          }
        }
      }
      expect(checked).toBeGreaterThan(50);
    });
  });
}
