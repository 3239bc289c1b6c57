import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness, OPERATOR } from '../harness.js';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`users, sessions and accounts [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    it('login: wrong password and unknown email give the same 401; sessions end at logout', async () => {
      const bad = await h.call('POST', '/v1/auth/login', { body: { email: OPERATOR.email, password: 'wrong-password' } });
      const unknown = await h.call('POST', '/v1/auth/login', { body: { email: 'nobody@test.local', password: 'wrong-password' } });
      expect([bad.status, unknown.status]).toEqual([401, 401]);
      expect(bad.body.error.code).toBe('INVALID_CREDENTIALS');
      expect(unknown.body.error.message).toBe(bad.body.error.message);
      const token = await h.login(OPERATOR.email.toUpperCase(), OPERATOR.password);
      expect((await h.call('GET', '/v1/me', { token })).body.user.isOperator).toBe(true);
      await h.call('POST', '/v1/auth/logout', { token });
      const after = await h.call('GET', '/v1/me', { token });
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe('UNAUTHORIZED');
    });

    it('every management route needs a credential', async () => {
      for (const [method, url] of [
        ['GET', '/v1/me'],
        ['GET', '/v1/accounts'],
        ['POST', '/v1/accounts'],
        ['GET', '/v1/accounts/acc_x/applications'],
      ] as const) {
        const r = await h.call(method, url, method === 'POST' ? { body: {} } : {});
        expect(r.status, `${method} ${url}`).toBe(method === 'POST' ? 400 : 401);
      }
      for (const token of ['garbage', 'kws_notasession', 'kw_notakey']) {
        expect((await h.call('GET', '/v1/me', { token })).status).toBe(401);
      }
    });

    it('sessions expire', async () => {
      const t = await h.tenant();
      await h.kw.ctx.store.db
        .updateTable('sessions')
        .set({ expires_at: Date.now() - 1 })
        .where('user_id', '=', t.adminId)
        .execute();
      expect((await h.call('GET', '/v1/me', { token: t.adminToken })).status).toBe(401);
    });

    it('only the operator creates accounts; customer IDs and emails are unique', async () => {
      const t = await h.tenant();
      const body = { name: 'X', customerId: 'CUST-42', admin: { email: 'x-admin@test.local', name: 'X', password: 'long-enough-1' } };
      expect((await h.call('POST', '/v1/accounts', { token: t.adminToken, body })).status).toBe(403);
      const ok = await h.call('POST', '/v1/accounts', { token: h.operatorToken, body });
      expect(ok.status).toBe(201);
      expect(ok.body.account.customerId).toBe('CUST-42');
      const dupCustomer = await h.call('POST', '/v1/accounts', {
        token: h.operatorToken,
        body: { ...body, admin: { ...body.admin, email: 'other@test.local' } },
      });
      expect(dupCustomer.body.error.code).toBe('CUSTOMER_ID_TAKEN');
      const dupEmail = await h.call('POST', '/v1/accounts', { token: h.operatorToken, body: { ...body, customerId: 'CUST-43' } });
      expect(dupEmail.body.error.code).toBe('EMAIL_TAKEN');
      const accounts = await h.call('GET', '/v1/accounts', { token: h.operatorToken });
      expect(accounts.body.accounts.filter((a: { customerId: string }) => a.customerId.startsWith('CUST-4'))).toHaveLength(1);
      const own = await h.call('GET', '/v1/accounts', { token: t.adminToken });
      expect(own.body.accounts.map((a: { id: string }) => a.id)).toEqual([t.accountId]);
    });

    it('admins manage users; members cannot; the last admin and oneself cannot be removed', async () => {
      const t = await h.tenant();
      const base = `/v1/accounts/${t.accountId}/users`;
      const created = await h.call('POST', base, {
        token: t.adminToken,
        body: {
          email: 'Member@Test.Local',
          name: 'M',
          password: 'long-enough-1',
          permissions: ['applications.view'],
          apiScopes: ['device:read'],
        },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        email: 'member@test.local',
        isAdmin: false,
        permissions: ['applications.view'],
        apiScopes: ['device:read'],
      });
      expect(JSON.stringify(created.body)).not.toContain('password');
      const member = await h.login('member@test.local', 'long-enough-1');
      expect(
        (await h.call('PATCH', `${base}/${created.body.id}`, { token: member, body: { permissions: ['keys.create.any'] } })).status,
      ).toBe(403);
      expect((await h.call('PATCH', `${base}/${created.body.id}`, { token: member, body: { name: 'Me' } })).body.name).toBe('Me');
      expect((await h.call('DELETE', `${base}/${t.adminId}`, { token: member })).status).toBe(403);
      const self = await h.call('DELETE', `${base}/${t.adminId}`, { token: t.adminToken });
      expect(self.body.error.code).toBe('CANNOT_DELETE_SELF');
      const demote = await h.call('PATCH', `${base}/${t.adminId}`, { token: t.adminToken, body: { isAdmin: false } });
      expect(demote.body.error.code).toBe('LAST_ADMIN');
      const badPerm = await h.call('POST', base, {
        token: t.adminToken,
        body: { email: 'z@test.local', name: 'z', password: 'long-enough-1', permissions: ['root'] },
      });
      expect(badPerm.status).toBe(400);
      const badScope = await h.call('POST', base, {
        token: t.adminToken,
        body: { email: 'z@test.local', name: 'z', password: 'long-enough-1', apiScopes: ['root'] },
      });
      expect(badScope.body.error.code).toBe('UNKNOWN_SCOPE');
      const list = await h.call('GET', base, { token: t.adminToken });
      expect(list.body.users.map((u: { email: string }) => u.email).sort()).toEqual([t.adminEmail, 'member@test.local'].sort());
    });

    it('a deleted user frees their email and disappears from listings', async () => {
      const t = await h.tenant();
      const u = await h.user(t, {});
      const base = `/v1/accounts/${t.accountId}/users`;
      expect((await h.call('DELETE', `${base}/${u.id}`, { token: t.adminToken })).status).toBe(200);
      expect((await h.call('GET', `${base}/${u.id}`, { token: t.adminToken })).body.error.code).toBe('USER_NOT_FOUND');
      const again = await h.call('POST', base, { token: t.adminToken, body: { email: u.email, name: 'again', password: 'long-enough-1' } });
      expect(again.status).toBe(201);
      expect(again.body.id).not.toBe(u.id);
    });

    it('users of one account cannot see or touch another account', async () => {
      const a = await h.tenant();
      const b = await h.tenant();
      const u = await h.user(a, {});
      const results = await Promise.all([
        h.call('GET', `/v1/accounts/${a.accountId}`, { token: b.adminToken }),
        h.call('GET', `/v1/accounts/${a.accountId}/users`, { token: b.adminToken }),
        h.call('GET', `/v1/accounts/${b.accountId}/users/${u.id}`, { token: b.adminToken }),
        h.call('DELETE', `/v1/accounts/${b.accountId}/users/${u.id}`, { token: b.adminToken }),
        h.call('DELETE', `/v1/accounts/${a.accountId}/users/${u.id}`, { token: b.adminToken }),
        h.call('GET', `/v1/accounts/${a.accountId}/audit`, { token: b.adminToken }),
      ]);
      expect(results.map((r) => r.status)).toEqual([404, 404, 404, 404, 404, 404]);
      expect((await h.call('GET', `/v1/accounts/${a.accountId}/users/${u.id}`, { token: a.adminToken })).status).toBe(200);
    });

    it('records an audit trail of who did what, without secrets', async () => {
      const t = await h.tenant();
      const { key, keyId, applicationId } = await appWithKey(h, t, t.adminToken, ['device:read']);
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${keyId}/revoke`, { token: t.adminToken });
      const log = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
      expect(log.status).toBe(200);
      const actions = log.body.events.map((e: { action: string }) => e.action);
      expect(actions.slice(0, 3)).toEqual(['key.revoke', 'key.create', 'application.create']);
      const create = log.body.events.find((e: { action: string }) => e.action === 'key.create');
      expect(create).toMatchObject({ actorId: t.adminId, targetId: keyId, details: { applicationId } });
      expect(JSON.stringify(log.body)).not.toContain(key);
      const page = await h.call('GET', `/v1/accounts/${t.accountId}/audit?limit=1`, { token: t.adminToken });
      expect(page.body.events).toHaveLength(1);
      expect(page.body.nextCursor).toEqual(expect.any(String));
    });
  });
}
