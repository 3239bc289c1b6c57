import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness } from '../harness.js';

/** Pelion's management permissions, each for *any* application or only *my* applications. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`management permissions [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    it('a user with no permissions can do nothing with applications or keys', async () => {
      const t = await h.tenant();
      const u = await h.user(t, {});
      const { keyId, applicationId } = await appWithKey(h, t, t.adminToken);
      const base = `/v1/accounts/${t.accountId}`;
      const results = await Promise.all([
        h.call('GET', `${base}/applications`, { token: u.token }),
        h.call('POST', `${base}/applications`, { token: u.token, body: { name: 'x' } }),
        h.call('PATCH', `${base}/applications/${applicationId}`, { token: u.token, body: { name: 'x' } }),
        h.call('POST', `${base}/applications/${applicationId}/revoke`, { token: u.token }),
        h.call('GET', `${base}/applications/${applicationId}/keys`, { token: u.token }),
        h.call('POST', `${base}/applications/${applicationId}/keys`, { token: u.token, body: { name: 'k', scopes: [] } }),
        h.call('GET', `${base}/keys/${keyId}`, { token: u.token }),
        h.call('PATCH', `${base}/keys/${keyId}`, { token: u.token, body: { name: 'x' } }),
        h.call('POST', `${base}/keys/${keyId}/revoke`, { token: u.token }),
        h.call('GET', `${base}/keys`, { token: u.token }),
        h.call('POST', `${base}/users`, { token: u.token, body: { email: 'x@y.io', name: 'x', password: 'long-enough-1' } }),
        h.call('GET', `${base}/audit`, { token: u.token }),
      ]);
      for (const r of results) {
        expect(r.status).toBe(403);
        expect(r.body.error.code).toBe('FORBIDDEN');
      }
      expect((await h.call('GET', `${base}/keys/${keyId}`, { token: t.adminToken })).body.status).toBe('active');
    });

    // Issue 13 (one guard, one order): people management checked the admin right before
    // tenancy, so on another account's path a member got 403 there and 404 on every other route.
    it("another account's routes answer 404 to a member without rights, people management included", async () => {
      const t = await h.tenant();
      const other = await h.tenant();
      const u = await h.user(t, {});
      const base = `/v1/accounts/${other.accountId}`;
      const results = await Promise.all([
        h.call('POST', `${base}/users`, { token: u.token, body: { email: 'x@y.io', name: 'x', password: 'long-enough-1' } }),
        h.call('PATCH', `${base}/users/${other.adminId}`, { token: u.token, body: { isAdmin: false } }),
        h.call('DELETE', `${base}/users/${other.adminId}`, { token: u.token }),
        h.call('GET', `${base}/users`, { token: u.token }),
        h.call('GET', `${base}/audit`, { token: u.token }),
        h.call('POST', `${base}/applications`, { token: u.token, body: { name: 'x' } }),
      ]);
      expect(results.map((r) => `${r.status} ${r.body.error?.code}`)).toEqual(Array(results.length).fill('404 ACCOUNT_NOT_FOUND'));
      // In their own account the same member is refused for want of the right.
      const own = await h.call('POST', `/v1/accounts/${t.accountId}/users`, {
        token: u.token,
        body: { email: 'x@y.io', name: 'x', password: 'long-enough-1' },
      });
      expect(`${own.status} ${own.body.error?.code}`).toBe('403 FORBIDDEN');
    });

    it('each application permission implies viewing and allows only its own action', async () => {
      const t = await h.tenant();
      const base = `/v1/accounts/${t.accountId}/applications`;
      const app = await h.call('POST', base, { token: t.adminToken, body: { name: 'a' } });
      const creator = await h.user(t, { permissions: ['applications.create'] });
      const editor = await h.user(t, { permissions: ['applications.edit'] });
      const revoker = await h.user(t, { permissions: ['applications.revoke'] });
      for (const u of [creator, editor, revoker]) expect((await h.call('GET', base, { token: u.token })).status).toBe(200);
      expect((await h.call('POST', base, { token: creator.token, body: { name: 'b' } })).status).toBe(201);
      expect((await h.call('POST', base, { token: editor.token, body: { name: 'b' } })).status).toBe(403);
      expect((await h.call('PATCH', `${base}/${app.body.id}`, { token: editor.token, body: { name: 'c' } })).status).toBe(200);
      expect((await h.call('PATCH', `${base}/${app.body.id}`, { token: revoker.token, body: { name: 'c' } })).status).toBe(403);
      expect((await h.call('POST', `${base}/${app.body.id}/revoke`, { token: editor.token })).status).toBe(403);
      expect((await h.call('POST', `${base}/${app.body.id}/revoke`, { token: revoker.token })).status).toBe(200);
    });

    it('".mine" key permissions act only on applications the user created; ".any" on all', async () => {
      const t = await h.tenant();
      const mine = await h.user(t, {
        permissions: ['applications.create', 'keys.view.mine', 'keys.create.mine', 'keys.edit.mine', 'keys.revoke.mine'],
        apiScopes: ['device:read'],
      });
      const any = await h.user(t, { permissions: ['keys.view.any', 'keys.create.any', 'keys.edit.any', 'keys.revoke.any'] });
      const own = await appWithKey(h, t, mine.token, ['device:read']);
      const other = await appWithKey(h, t, t.adminToken, ['device:read']);
      const base = `/v1/accounts/${t.accountId}`;

      // mine: own application yes, admin's application no.
      expect((await h.call('GET', `${base}/applications/${own.applicationId}/keys`, { token: mine.token })).status).toBe(200);
      expect((await h.call('GET', `${base}/applications/${other.applicationId}/keys`, { token: mine.token })).status).toBe(403);
      expect((await h.call('GET', `${base}/keys/${other.keyId}`, { token: mine.token })).status).toBe(403);
      expect((await h.call('PATCH', `${base}/keys/${other.keyId}`, { token: mine.token, body: { name: 'x' } })).status).toBe(403);
      expect((await h.call('POST', `${base}/keys/${other.keyId}/revoke`, { token: mine.token })).status).toBe(403);
      expect(
        (await h.call('POST', `${base}/applications/${other.applicationId}/keys`, { token: mine.token, body: { name: 'k', scopes: [] } }))
          .status,
      ).toBe(403);
      const listed = await h.call('GET', `${base}/keys`, { token: mine.token });
      expect(listed.body.keys.map((k: { id: string }) => k.id)).toEqual([own.keyId]);
      expect((await h.call('PATCH', `${base}/keys/${own.keyId}`, { token: mine.token, body: { name: 'x' } })).status).toBe(200);
      expect((await h.call('POST', `${base}/keys/${own.keyId}/revoke`, { token: mine.token })).status).toBe(200);

      // any: every application.
      expect((await h.call('GET', `${base}/applications/${other.applicationId}/keys`, { token: any.token })).status).toBe(200);
      const all = await h.call('GET', `${base}/keys?include=revoked`, { token: any.token });
      expect(all.body.keys.map((k: { id: string }) => k.id).sort()).toEqual([own.keyId, other.keyId].sort());
      expect((await h.call('PATCH', `${base}/keys/${other.keyId}`, { token: any.token, body: { name: 'y' } })).status).toBe(200);
      expect((await h.call('POST', `${base}/keys/${other.keyId}/revoke`, { token: any.token })).status).toBe(200);
      // create.any with no scopes of its own: a key with no API scopes is fine, any scope is not.
      expect(
        (await h.call('POST', `${base}/applications/${own.applicationId}/keys`, { token: any.token, body: { name: 'k', scopes: [] } }))
          .status,
      ).toBe(201);
      expect(
        (
          await h.call('POST', `${base}/applications/${own.applicationId}/keys`, {
            token: any.token,
            body: { name: 'k', scopes: ['device:read'] },
          })
        ).body.error.code,
      ).toBe('SCOPE_NOT_GRANTABLE');
    });

    it('an access key with management scopes can call the management API, narrowed to those scopes', async () => {
      const t = await h.tenant();
      const { key, applicationId } = await appWithKey(h, t, t.adminToken, ['keyward:applications.view', 'keyward:keys.view.any']);
      const base = `/v1/accounts/${t.accountId}`;
      const me = await h.call('GET', '/v1/me', { token: key });
      expect(me.status).toBe(200);
      expect(me.body.permissions).toEqual(['applications.view', 'keys.view.any']);
      expect((await h.call('GET', `${base}/applications`, { token: key })).status).toBe(200);
      expect((await h.call('GET', `${base}/applications/${applicationId}/keys`, { token: key })).status).toBe(200);
      expect((await h.call('POST', `${base}/applications`, { token: key, body: { name: 'x' } })).status).toBe(403);
      // People are never managed through a key, whatever its scopes (issue 10, item 1).
      const users = await h.call('GET', `${base}/users`, { token: key });
      expect([users.status, users.body.error.code]).toEqual([403, 'SESSION_REQUIRED']);
      expect(
        (await h.call('POST', `${base}/users`, { token: key, body: { email: 'a@b.io', name: 'a', password: 'long-enough-1' } })).status,
      ).toBe(403);
      // A key without management scopes is not a management credential at all.
      const { key: plain } = await appWithKey(h, t, t.adminToken, ['device:read']);
      expect((await h.call('GET', `${base}/applications`, { token: plain })).status).toBe(401);
    });

    it('a key loses management access when its creator loses the permission', async () => {
      const t = await h.tenant();
      const u = await h.user(t, { permissions: ['applications.view', 'applications.create', 'keys.create.mine'] });
      const { key } = await appWithKey(h, t, u.token, ['keyward:applications.view']);
      const url = `/v1/accounts/${t.accountId}/applications`;
      expect((await h.call('GET', url, { token: key })).status).toBe(200);
      await h.call('PATCH', `/v1/accounts/${t.accountId}/users/${u.id}`, { token: t.adminToken, body: { permissions: [] } });
      expect((await h.call('GET', url, { token: key })).status).toBe(403);
    });
  });
}
