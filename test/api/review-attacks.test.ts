import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor, encodeListCursor } from '../../src/http/cursor.js';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';

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
      expect([200, 404]).toContain(filtered.status);
      if (filtered.status === 200) expect(filtered.body.keys).toEqual([]);
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
        ['management key of a member', mgmtKey, 403],
        ['none', undefined, 401],
      ] as const) {
        const res = await h.call('GET', '/v1/plans', { token });
        expect([res.status, who], JSON.stringify(res.body)).toEqual([status, who]);
      }
    });
  });
}
