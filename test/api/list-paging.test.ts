import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeListCursor } from '../../src/http/cursor.js';
import { createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';

/**
 * Issue #16 item 4: search, sort, filters and cursor pages on the list routes. Every ordering
 * is paged through with a small page and must give each row exactly once, in the order of the
 * whole list; cursors and filters never reach another account's rows.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`list search, sort and paging [${dialect.name}]`, () => {
    let h: Harness;
    let a: Tenant;
    let b: Tenant;
    const appIds: string[] = [];
    const NAMES = ['beta', 'Alpha', 'alpha', 'Gamma 50%', 'delta_x', 'Beta'];

    beforeAll(async () => {
      h = await createHarness(dialect);
      [a, b] = [await h.tenant(), await h.tenant()];
      for (const name of NAMES) {
        const app = await h.call('POST', `/v1/accounts/${a.accountId}/applications`, { token: a.adminToken, body: { name } });
        expect(app.status).toBe(201);
        appIds.push(app.body.id);
        const key = await h.call('POST', `/v1/accounts/${a.accountId}/applications/${app.body.id}/keys`, {
          token: a.adminToken,
          body: { name: `key ${name}`, scopes: [] },
        });
        expect(key.status).toBe(201);
        const dev = await h.call('POST', `/v1/accounts/${a.accountId}/devices`, { token: a.adminToken, body: { name: `dev ${name}` } });
        expect(dev.status).toBe(201);
      }
      for (const name of ['Alpha secret of B', 'beta of B']) {
        expect((await h.call('POST', `/v1/accounts/${b.accountId}/applications`, { token: b.adminToken, body: { name } })).status).toBe(
          201,
        );
        expect((await h.call('POST', `/v1/accounts/${b.accountId}/devices`, { token: b.adminToken, body: { name } })).status).toBe(201);
      }
      for (let i = 0; i < 3; i++) await h.user(a, { permissions: ['devices.view'] });
    });
    afterAll(async () => h?.close());

    const lists = [
      { name: 'applications', path: () => `/v1/accounts/${a.accountId}/applications`, field: 'applications', sorts: ['created', 'name'] },
      { name: 'keys', path: () => `/v1/accounts/${a.accountId}/keys`, field: 'keys', sorts: ['created', 'name', 'lastUsed'] },
      {
        name: 'application keys',
        path: () => `/v1/accounts/${a.accountId}/applications/${appIds[0]}/keys`,
        field: 'keys',
        sorts: ['created', 'name', 'lastUsed'],
      },
      { name: 'devices', path: () => `/v1/accounts/${a.accountId}/devices`, field: 'devices', sorts: ['created', 'name', 'lastUsed'] },
      { name: 'users', path: () => `/v1/accounts/${a.accountId}/users`, field: 'users', sorts: ['created', 'name', 'email'] },
    ] as const;

    const get = (url: string, token = a.adminToken) => h.call('GET', url, { token });

    for (const list of lists) {
      it(`${list.name}: every sort and order, paged by 2, gives each row once in the whole list's order`, async () => {
        for (const sort of list.sorts) {
          for (const order of ['asc', 'desc']) {
            const whole = await get(`${list.path()}?sort=${sort}&order=${order}`);
            expect(whole.status).toBe(200);
            expect(whole.body.nextCursor).toBeNull();
            const all = (whole.body[list.field] as { id: string }[]).map((x) => x.id);
            expect(all.length).toBeGreaterThan(0);
            const seen: string[] = [];
            let cursor: string | null = null;
            for (let n = 0; n < 20; n++) {
              const r = await get(`${list.path()}?sort=${sort}&order=${order}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
              expect(r.status).toBe(200);
              expect(r.body[list.field].length).toBeLessThanOrEqual(2);
              seen.push(...r.body[list.field].map((x: { id: string }) => x.id));
              cursor = r.body.nextCursor;
              if (cursor === null) break;
            }
            expect(cursor).toBeNull();
            expect(seen, `${sort} ${order}`).toEqual(all);
          }
        }
      });
    }

    it('sorting by name ignores case and orders ties by id; desc is the exact reverse', async () => {
      const asc = await get(`/v1/accounts/${a.accountId}/applications?sort=name`);
      const names = asc.body.applications.map((x: { name: string }) => x.name.toLowerCase());
      expect(names).toEqual([...names].sort());
      const desc = await get(`/v1/accounts/${a.accountId}/applications?sort=name&order=desc`);
      expect(desc.body.applications.map((x: { id: string }) => x.id)).toEqual(
        asc.body.applications.map((x: { id: string }) => x.id).reverse(),
      );
    });

    it('q searches case-insensitively, and % and _ match only themselves', async () => {
      const alpha = await get(`/v1/accounts/${a.accountId}/applications?q=ALPHA`);
      expect(alpha.body.applications.map((x: { name: string }) => x.name).sort()).toEqual(['Alpha', 'alpha']);
      const pct = await get(`/v1/accounts/${a.accountId}/applications?q=${encodeURIComponent('50%')}`);
      expect(pct.body.applications.map((x: { name: string }) => x.name)).toEqual(['Gamma 50%']);
      const pctOnly = await get(`/v1/accounts/${a.accountId}/applications?q=${encodeURIComponent('%')}`);
      expect(pctOnly.body.applications).toHaveLength(1);
      const under = await get(`/v1/accounts/${a.accountId}/devices?q=${encodeURIComponent('a_x')}`);
      expect(under.body.devices.map((x: { name: string }) => x.name)).toEqual(['dev delta_x']);
      const keys = await get(`/v1/accounts/${a.accountId}/keys?q=key%20beta`);
      expect(keys.body.keys).toHaveLength(2);
      const users = await get(`/v1/accounts/${a.accountId}/users?q=${encodeURIComponent(a.adminEmail.toUpperCase())}`);
      expect(users.body.users.map((x: { id: string }) => x.id)).toEqual([a.adminId]);
    });

    it('filters: role, device state and secret source, key and application status, applicationId', async () => {
      const admins = await get(`/v1/accounts/${a.accountId}/users?role=admin`);
      expect(admins.body.users.map((x: { id: string }) => x.id)).toEqual([a.adminId]);
      const members = await get(`/v1/accounts/${a.accountId}/users?role=member`);
      expect(members.body.users).toHaveLength(3);
      const shared = await get(`/v1/accounts/${a.accountId}/devices?secretSource=shared`);
      expect(shared.body.devices).toEqual([]);
      const own = await get(`/v1/accounts/${a.accountId}/devices?secretSource=own&status=active`);
      expect(own.body.devices).toHaveLength(NAMES.length);
      const ofApp = await get(`/v1/accounts/${a.accountId}/keys?applicationId=${appIds[1]}`);
      expect(ofApp.body.keys.map((k: { name: string }) => k.name)).toEqual([`key ${NAMES[1]}`]);
      const revoke = await h.call('POST', `/v1/accounts/${a.accountId}/keys/${ofApp.body.keys[0].id}/revoke`, {
        token: a.adminToken,
        body: {},
      });
      expect(revoke.status).toBe(200);
      const revoked = await get(`/v1/accounts/${a.accountId}/keys?status=revoked`);
      expect(revoked.body.keys.map((k: { id: string }) => k.id)).toEqual([ofApp.body.keys[0].id]);
      const active = await get(`/v1/accounts/${a.accountId}/keys?status=active`);
      expect(active.body.keys).toHaveLength(NAMES.length - 1);
      expect((await get(`/v1/accounts/${a.accountId}/applications?status=disabled`)).body.applications).toEqual([]);
      expect((await get(`/v1/accounts/${a.accountId}/applications?status=active`)).body.applications).toHaveLength(NAMES.length);
    });

    it('bad cursors, sorts and a 10 KB q answer 400 VALIDATION_FAILED', async () => {
      const base = `/v1/accounts/${a.accountId}/applications`;
      const first = await get(`${base}?sort=name&limit=1`);
      const cursor = first.body.nextCursor as string;
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      const b64 = (s: string) => Buffer.from(s).toString('base64url');
      const bad = [
        `sort=created&limit=1&cursor=${cursor}`, // taken under another sort
        `sort=name&order=desc&limit=1&cursor=${cursor}`, // another order
        `sort=created&cursor=${encodeListCursor({ sort: 'created.asc', value: 'text', id: 'app_x' })}`, // wrong value type
        `cursor=${b64('["created.asc",1,"x\' or 1=1"]')}`,
        `cursor=${b64('[1,2]')}`,
        `cursor=${b64('not json')}`,
        'cursor=garbage!',
        `cursor=${'A'.repeat(5000)}`,
        'sort=secret',
        'sort=created_at',
        'order=sideways',
        'limit=0',
        'limit=501',
        `q=${'x'.repeat(10_240)}`,
      ];
      for (const query of bad) {
        const r = await get(`${base}?${query}`);
        expect(r.status, query.slice(0, 80)).toBe(400);
        expect(r.body.error.code).toBe('VALIDATION_FAILED');
      }
      for (const path of lists.map((l) => l.path())) {
        const r = await get(`${path}?q=${'%'.repeat(10_240)}`);
        expect(r.status).toBe(400);
        expect(r.body.error.code).toBe('VALIDATION_FAILED');
      }
      const next = await get(`${base}?sort=name&limit=1&cursor=${cursor}`);
      expect(next.status).toBe(200);
    });

    it("cursors and filters never reveal another account's rows", async () => {
      // A cursor taken in B and replayed in A is only a position: A's rows after it, never B's.
      const bPage = await get(`/v1/accounts/${b.accountId}/applications?sort=name&limit=1`, b.adminToken);
      expect(bPage.body.nextCursor).not.toBeNull();
      const replay = await get(`/v1/accounts/${a.accountId}/applications?sort=name&limit=50&cursor=${bPage.body.nextCursor}`);
      expect(replay.status).toBe(200);
      for (const app of replay.body.applications) expect(appIds).toContain(app.id);
      // B's names do not match in A, and B's application id filters A's keys to nothing.
      expect((await get(`/v1/accounts/${a.accountId}/applications?q=of%20B`)).body.applications).toEqual([]);
      expect((await get(`/v1/accounts/${a.accountId}/devices?q=of%20B`)).body.devices).toEqual([]);
      const bApp = (await get(`/v1/accounts/${b.accountId}/applications`, b.adminToken)).body.applications[0].id;
      expect((await get(`/v1/accounts/${a.accountId}/keys?applicationId=${bApp}`)).body.keys).toEqual([]);
      // A's admin asking B's lists with any query is refused, as if B did not exist.
      for (const l of ['applications', 'keys', 'devices', 'users', 'audit']) {
        const r = await get(`/v1/accounts/${b.accountId}/${l}?q=a&sort=name&limit=1&cursor=${bPage.body.nextCursor}`);
        expect(r.status, l).toBeGreaterThanOrEqual(400);
        expect(r.body.error.code, l).toMatch(/^(ACCOUNT_NOT_FOUND|VALIDATION_FAILED)$/);
        expect(JSON.stringify(r.body)).not.toContain('of B');
      }
      // The audit log: B's user as the actor filter finds nothing in A.
      const audit = await get(`/v1/accounts/${a.accountId}/audit?actor=${b.adminId}`);
      expect(audit.status).toBe(200);
      expect(audit.body.events).toEqual([]);
    });

    it('a member with keys.view.mine pages through their own keys only; customer keys stay hidden', async () => {
      const m = await h.user(a, { permissions: ['applications.create', 'keys.view.mine', 'keys.create.mine'] });
      const mine = await h.call('POST', `/v1/accounts/${a.accountId}/applications`, { token: m.token, body: { name: 'Mine' } });
      for (const name of ['k1', 'k2', 'k3']) {
        const k = await h.call('POST', `/v1/accounts/${a.accountId}/applications/${mine.body.id}/keys`, {
          token: m.token,
          body: { name, scopes: [] },
        });
        expect(k.status).toBe(201);
      }
      const customer = await h.call('POST', `/v1/accounts/${a.accountId}/keys`, {
        token: a.adminToken,
        body: { kind: 'customer', name: 'Billing', scopes: ['billing:access'] },
      });
      expect(customer.status).toBe(201);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const r = await get(`/v1/accounts/${a.accountId}/keys?limit=1&sort=name${cursor ? `&cursor=${cursor}` : ''}`, m.token);
        expect(r.status).toBe(200);
        seen.push(...r.body.keys.map((k: { name: string }) => k.name));
        cursor = r.body.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual(['k1', 'k2', 'k3']);
      expect((await get(`/v1/accounts/${a.accountId}/keys?kind=customer`, m.token)).body.keys).toEqual([]);
      expect((await get(`/v1/accounts/${a.accountId}/keys?kind=customer`)).body.keys.map((k: { name: string }) => k.name)).toEqual([
        'Billing',
      ]);
    });

    it('the audit log filters by actor, action (or its noun), target and time, and names actors and targets', async () => {
      const base = `/v1/accounts/${a.accountId}/audit`;
      const creates = await get(`${base}?action=application.create&limit=500`);
      expect(creates.status).toBe(200);
      expect(creates.body.events).toHaveLength(NAMES.length + 1); // + the member's "Mine"
      for (const e of creates.body.events) expect(e.action).toBe('application.create');
      const byAdmin = creates.body.events.filter((e: { actorId: string }) => e.actorId === a.adminId);
      expect(byAdmin).toHaveLength(NAMES.length);
      for (const e of byAdmin) expect(e.actorName).toBe('Admin');
      expect(new Set(byAdmin.map((e: { targetName: string }) => e.targetName))).toEqual(new Set(NAMES));
      const keyNoun = await get(`${base}?action=key&limit=500`);
      expect(keyNoun.body.events.length).toBeGreaterThan(NAMES.length);
      for (const e of keyNoun.body.events) expect(e.action.startsWith('key.')).toBe(true);
      const one = await get(`${base}?targetId=${appIds[2]}`);
      expect(one.body.events.map((e: { action: string }) => e.action)).toEqual(['application.create']);
      expect(one.body.events[0].targetName).toBe(NAMES[2]);
      const at = one.body.events[0].createdAt as number;
      const win = await get(`${base}?targetType=application&from=${at}&to=${at + 1}&actor=${a.adminId}`);
      expect(win.body.events.map((e: { targetId: string }) => e.targetId)).toContain(appIds[2]);
      for (const e of win.body.events) expect(e.createdAt).toBe(at);
      expect((await get(`${base}?from=${at + 1}&to=${at + 1}`)).body.events).toEqual([]);
      for (const q of ['action=key.explode', 'action=%25', 'targetType=planet', 'from=-1', 'to=soon', `actor=${'x'.repeat(10_240)}`]) {
        const r = await get(`${base}?${q}`);
        expect(r.status, q.slice(0, 40)).toBe(400);
        expect(r.body.error.code).toBe('VALIDATION_FAILED');
      }
      // A member without audit.read gets nothing, filters or not.
      const m = await h.user(a, { permissions: ['devices.view'] });
      expect((await get(`${base}?actor=${a.adminId}`, m.token)).status).toBe(403);
    });
  });
}
