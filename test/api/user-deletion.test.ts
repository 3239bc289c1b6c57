import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keyward } from '../../src/server.js';
import {
  appWithKey,
  closeTwoNodes,
  createHarness,
  DIALECTS,
  type Harness,
  REDIS_URL,
  startTwoNodes,
  type Tenant,
  verifyCodeOn,
} from '../harness.js';

/**
 * Pelion: "When you delete a user, any API access keys or applications that they created will
 * stop working." Regression (issue 10, item 8): only the keys the deleted user created stopped;
 * keys that others created in the deleted user's application kept verifying VALID and
 * authorizing, and the application still took new keys.
 */
async function ownerWithApp(h: Harness, t: Tenant) {
  const owner = await h.user(t, {
    permissions: ['applications.create', 'applications.view', 'keys.create.mine', 'keys.view.mine'],
    apiScopes: ['device:read'],
  });
  const app = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: owner.token, body: { name: "Owner's app" } });
  expect(app.status).toBe(201);
  // The admin (not the owner) creates a key in the owner's application.
  const key = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
    token: t.adminToken,
    body: { name: 'by admin', scopes: ['device:read'] },
  });
  expect(key.status).toBe(201);
  expect(key.body.accessKey.createdBy).toBe(t.adminId);
  return { owner, applicationId: app.body.id as string, keyId: key.body.accessKey.id as string, key: key.body.key as string };
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`deleting a user disables their applications [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    const verify = async (key: string) => (await h.call('POST', '/v1/keys/verify', { body: { key } })).body.code as string;
    const authorize = (key: string) =>
      h.call('GET', '/v1/authorize', {
        headers: { authorization: `Bearer ${key}`, 'x-original-method': 'GET', 'x-original-uri': '/integration/device/csvExport' },
      });

    it("keys others created in the deleted user's application stop at once, even when cached", async () => {
      const t = await h.tenant();
      const o = await ownerWithApp(h, t);
      const unrelated = await appWithKey(h, t, t.adminToken, ['device:read']);
      expect(await verify(o.key)).toBe('VALID');
      expect(await verify(o.key)).toBe('VALID'); // now cached
      expect((await authorize(o.key)).status).toBe(200);

      const del = await h.call('DELETE', `/v1/accounts/${t.accountId}/users/${o.owner.id}`, { token: t.adminToken });
      expect(del.status).toBeLessThan(300);

      expect(await verify(o.key)).toBe('DISABLED');
      const denied = await authorize(o.key);
      expect(denied.status).toBe(401);
      expect(denied.body.error.code).toBe('DISABLED');
      expect(denied.headers['x-keyward-error']).toBe('DISABLED');
      // The admin's own application is untouched.
      expect(await verify(unrelated.key)).toBe('VALID');
      expect((await authorize(unrelated.key)).status).toBe(200);
    });

    it('the application shows as disabled and takes no new keys, by creation or rotation', async () => {
      const t = await h.tenant();
      const o = await ownerWithApp(h, t);
      await h.call('DELETE', `/v1/accounts/${t.accountId}/users/${o.owner.id}`, { token: t.adminToken });

      const base = `/v1/accounts/${t.accountId}/applications`;
      const listed = await h.call('GET', base, { token: t.adminToken });
      expect(listed.body.applications).toEqual([expect.objectContaining({ id: o.applicationId, status: 'disabled' })]);
      expect((await h.call('GET', `${base}/${o.applicationId}`, { token: t.adminToken })).body.status).toBe('disabled');

      const create = await h.call('POST', `${base}/${o.applicationId}/keys`, { token: t.adminToken, body: { name: 'new', scopes: [] } });
      expect(create.status).toBe(409);
      expect(create.body.error.code).toBe('APPLICATION_DISABLED');
      expect(create.body.error.message).toMatch(/deleted/);
      const rotate = await h.call('POST', `/v1/accounts/${t.accountId}/keys/${o.keyId}/rotate`, {
        token: t.adminToken,
        body: { overlapSeconds: 0 },
      });
      expect(rotate.status).toBe(409);
      expect(rotate.body.error.code).toBe('APPLICATION_DISABLED');
      const keys = await h.call('GET', `${base}/${o.applicationId}/keys`, { token: t.adminToken });
      expect(keys.body.keys).toHaveLength(1);
      expect(await verify(o.key)).toBe('DISABLED');

      // An admin can still revoke it, which hides it from the default listing.
      const revoked = await h.call('POST', `${base}/${o.applicationId}/revoke`, { token: t.adminToken });
      expect(revoked.status).toBe(200);
      expect(revoked.body.status).toBe('revoked');
      expect((await h.call('GET', base, { token: t.adminToken })).body.applications).toEqual([]);
      expect(await verify(o.key)).toBe('DISABLED');
    });

    it('a disabled application no longer counts towards the application limit', async () => {
      const t = await h.tenant();
      await h.call('PATCH', `/v1/accounts/${t.accountId}`, { token: h.operatorToken, body: { maxApplications: 1 } });
      const o = await ownerWithApp(h, t);
      const base = `/v1/accounts/${t.accountId}/applications`;
      const full = await h.call('POST', base, { token: t.adminToken, body: { name: 'second' } });
      expect(full.body.error.code).toBe('APPLICATION_LIMIT_REACHED');
      await h.call('DELETE', `/v1/accounts/${t.accountId}/users/${o.owner.id}`, { token: t.adminToken });
      expect((await h.call('POST', base, { token: t.adminToken, body: { name: 'second' } })).status).toBe(201);
    });
  });

  describe.skipIf(!dialect.enabled || !REDIS_URL)(`deleting a user reaches other nodes' caches [${dialect.name}]`, () => {
    let h: Harness;
    let other: Keyward;
    beforeAll(async () => {
      ({ h, other } = await startTwoNodes(dialect, { redisUrl: REDIS_URL }));
    });
    afterAll(async () => closeTwoNodes({ h, other }));

    const verifyOn = verifyCodeOn;

    it("a key in the deleted user's application, cached VALID on another node, turns DISABLED there", async () => {
      const t = await h.tenant();
      const o = await ownerWithApp(h, t);
      expect(await verifyOn(other, o.key)).toBe('VALID');
      expect(await verifyOn(other, o.key)).toBe('VALID'); // cached on the other node
      await h.call('DELETE', `/v1/accounts/${t.accountId}/users/${o.owner.id}`, { token: t.adminToken });
      let code = await verifyOn(other, o.key);
      // Pub/sub delivery is asynchronous: poll, bounded at 5 s (the cache TTL is far longer).
      for (let i = 0; i < 100 && code !== 'DISABLED'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        code = await verifyOn(other, o.key);
      }
      expect(code).toBe('DISABLED');
    });
  });
}
