import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness } from '../harness.js';

/**
 * Security: issue 10, item 1. An access key used to act as its creator whatever its scopes, so a
 * key with only `device:onboarding` could set the admin's password and sign in as the admin.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`access keys cannot take over accounts [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    const signIn = (email: string, password: string) => h.call('POST', '/v1/auth/login', { body: { email, password } });

    it("a verify-only key cannot set the admin's password (the exploit), nor read /v1/me or the users", async () => {
      const t = await h.tenant();
      const { key } = await appWithKey(h, t, t.adminToken, ['device:onboarding']);
      const base = `/v1/accounts/${t.accountId}`;
      const patch = await h.call('PATCH', `${base}/users/${t.adminId}`, { token: key, body: { password: 'taken-over-password' } });
      expect([patch.status, patch.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
      expect((await signIn(t.adminEmail, 'taken-over-password')).status).toBe(401);
      expect((await signIn(t.adminEmail, 'admin-password-1')).status).toBe(200);
      for (const url of ['/v1/me', base, `${base}/users`, `${base}/users/${t.adminId}`, `${base}/applications`]) {
        expect((await h.call('GET', url, { token: key })).status, url).toBe(401);
      }
      // It is still a perfectly good API credential.
      expect((await h.call('POST', '/v1/keys/verify', { body: { key } })).body.valid).toBe(true);
    });

    it('a key with management scopes reaches /v1/me and its scopes, but never people, passwords or sessions', async () => {
      const t = await h.tenant();
      const { key } = await appWithKey(h, t, t.adminToken, ['device:onboarding', 'keyward:applications.view']);
      const base = `/v1/accounts/${t.accountId}`;
      const me = await h.call('GET', '/v1/me', { token: key });
      expect(me.status).toBe(200);
      expect(me.body.permissions).toEqual(['applications.view']);
      expect((await h.call('GET', `${base}/applications`, { token: key })).status).toBe(200);
      const refused = await Promise.all([
        h.call('PATCH', `${base}/users/${t.adminId}`, { token: key, body: { password: 'taken-over-password' } }),
        h.call('PATCH', `${base}/users/${t.adminId}`, { token: key, body: { name: 'Mallory' } }),
        h.call('GET', `${base}/users`, { token: key }),
        h.call('GET', `${base}/users/${t.adminId}`, { token: key }),
        h.call('POST', `${base}/users`, { token: key, body: { email: 'm@x.test', name: 'm', password: 'long-enough-1' } }),
        h.call('DELETE', `${base}/users/${t.adminId}`, { token: key }),
        h.call('POST', '/v1/auth/logout-all', { token: key }),
      ]);
      expect(refused.map((r) => [r.status, r.body.error.code])).toEqual(Array(7).fill([403, 'SESSION_REQUIRED']));
      expect(refused[0]?.body.error.message).toBe('This operation needs a signed-in user session, not an access key.');
      expect((await signIn(t.adminEmail, 'admin-password-1')).status).toBe(200);
    });

    it('users.view is a session-only right: members need it to see users, and no key can carry it', async () => {
      const t = await h.tenant();
      const base = `/v1/accounts/${t.accountId}/users`;
      const plain = await h.user(t, { permissions: ['applications.view'] });
      const viewer = await h.user(t, { permissions: ['users.view', 'applications.view', 'applications.create', 'keys.create.mine'] });
      const denied = await h.call('GET', base, { token: plain.token });
      expect([denied.status, denied.body.error.code]).toEqual([403, 'FORBIDDEN']);
      expect((await h.call('GET', `${base}/${t.adminId}`, { token: plain.token })).status).toBe(403);
      expect((await h.call('GET', `${base}/${plain.id}`, { token: plain.token })).status).toBe(200);
      const listed = await h.call('GET', base, { token: viewer.token });
      expect(listed.status).toBe(200);
      expect(listed.body.users.map((u: { id: string }) => u.id).sort()).toEqual([t.adminId, plain.id, viewer.id].sort());
      expect((await h.call('GET', `${base}/${t.adminId}`, { token: viewer.token })).status).toBe(200);
      // Seeing is not managing.
      expect((await h.call('PATCH', `${base}/${plain.id}`, { token: viewer.token, body: { name: 'x' } })).status).toBe(403);
      // Neither the viewer nor an admin may put it on a key.
      const admin = await h.call('GET', '/v1/me', { token: t.adminToken });
      expect(admin.body.permissions).toContain('users.view');
      expect(admin.body.grantableScopes).not.toContain('keyward:users.view');
      for (const token of [viewer.token, t.adminToken]) {
        const app = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token, body: { name: 'a' } });
        const key = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
          token,
          body: { name: 'k', scopes: ['keyward:users.view'] },
        });
        expect([key.status, key.body.error.code]).toEqual([400, 'UNKNOWN_SCOPE']);
      }
    });

    it('changing your own password needs the current one, keeps this session and ends the others', async () => {
      const t = await h.tenant();
      const url = `/v1/accounts/${t.accountId}/users/${t.adminId}`;
      const other = await h.login(t.adminEmail, 'admin-password-1');
      const missing = await h.call('PATCH', url, { token: t.adminToken, body: { password: 'brand-new-password' } });
      expect([missing.status, missing.body.error.code]).toEqual([400, 'CURRENT_PASSWORD_REQUIRED']);
      const wrong = await h.call('PATCH', url, {
        token: t.adminToken,
        body: { password: 'brand-new-password', currentPassword: 'not-my-password' },
      });
      expect([wrong.status, wrong.body.error.code]).toEqual([403, 'CURRENT_PASSWORD_WRONG']);
      expect((await signIn(t.adminEmail, 'brand-new-password')).status).toBe(401);
      expect((await h.call('GET', '/v1/me', { token: other })).status).toBe(200);

      const ok = await h.call('PATCH', url, {
        token: t.adminToken,
        body: { password: 'brand-new-password', currentPassword: 'admin-password-1' },
      });
      expect(ok.status).toBe(200);
      expect((await h.call('GET', '/v1/me', { token: t.adminToken })).status).toBe(200);
      expect((await h.call('GET', '/v1/me', { token: other })).status).toBe(401);
      expect((await signIn(t.adminEmail, 'admin-password-1')).status).toBe(401);
      expect((await signIn(t.adminEmail, 'brand-new-password')).status).toBe(200);
      const log = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
      const change = log.body.events.find((e: { action: string; details: { passwordChanged?: boolean } }) => e.details.passwordChanged);
      expect(change).toMatchObject({ action: 'user.update', targetId: t.adminId, details: { passwordChanged: true, sessionsEnded: 1 } });
      expect(JSON.stringify(log.body)).not.toContain('brand-new-password');
      expect(JSON.stringify(log.body)).not.toContain('admin-password-1');
    });

    it("an admin sets another user's password without theirs, and every session of that user ends", async () => {
      const t = await h.tenant();
      const u = await h.user(t, {});
      const second = await h.login(u.email, 'user-password-1');
      const res = await h.call('PATCH', `/v1/accounts/${t.accountId}/users/${u.id}`, {
        token: t.adminToken,
        body: { password: 'set-by-the-admin' },
      });
      expect(res.status).toBe(200);
      expect((await h.call('GET', '/v1/me', { token: u.token })).status).toBe(401);
      expect((await h.call('GET', '/v1/me', { token: second })).status).toBe(401);
      expect((await h.call('GET', '/v1/me', { token: t.adminToken })).status).toBe(200);
      expect((await signIn(u.email, 'set-by-the-admin')).status).toBe(200);
    });

    it('wrong current passwords count against the sign-in throttle', async () => {
      const t = await h.tenant();
      const now = Date.now();
      const saved = h.kw.ctx.now;
      h.kw.ctx.now = () => now;
      try {
        const url = `/v1/accounts/${t.accountId}/users/${t.adminId}`;
        const body = { password: 'brand-new-password', currentPassword: 'guess-guess' };
        for (let i = 0; i < 5; i++) expect((await h.call('PATCH', url, { token: t.adminToken, body })).status).toBe(403);
        const limited = await h.call('PATCH', url, { token: t.adminToken, body: { ...body, currentPassword: 'admin-password-1' } });
        expect([limited.status, limited.body.error.code]).toEqual([429, 'RATE_LIMITED']);
        expect(limited.headers['retry-after']).toBe('1');
      } finally {
        h.kw.ctx.now = saved;
      }
    });

    it('sign out everywhere ends every session of the caller, and only theirs', async () => {
      const t = await h.tenant();
      const u = await h.user(t, {});
      const second = await h.login(t.adminEmail, 'admin-password-1');
      const res = await h.call('POST', '/v1/auth/logout-all', { token: t.adminToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true, sessionsEnded: 2 });
      expect((await h.call('GET', '/v1/me', { token: t.adminToken })).status).toBe(401);
      expect((await h.call('GET', '/v1/me', { token: second })).status).toBe(401);
      expect((await h.call('GET', '/v1/me', { token: u.token })).status).toBe(200);
      expect((await h.call('POST', '/v1/auth/logout-all', {})).status).toBe(401);
      const fresh = await h.login(t.adminEmail, 'admin-password-1');
      const log = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: fresh });
      expect(log.body.events[0]).toMatchObject({ action: 'user.sign_out_everywhere', actorId: t.adminId, details: { sessionsEnded: 2 } });
    });
  });
}
