import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness } from '../harness.js';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`key rotation [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    const verify = (key: string) => h.call('POST', '/v1/keys/verify', { body: { key } });

    it('issues a successor with the same access and keeps the old key for the overlap', async () => {
      const t = await h.tenant();
      const old = await appWithKey(h, t, t.adminToken, ['device:full-access'], { description: 'ci' });
      const before = Date.now();
      const r = await h.call('POST', `/v1/accounts/${t.accountId}/keys/${old.keyId}/rotate`, {
        token: t.adminToken,
        body: { overlapSeconds: 3600 },
      });
      expect(r.status).toBe(201);
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.body.key).toMatch(/^kw_/);
      expect(r.body.accessKey).toMatchObject({
        applicationId: old.applicationId,
        name: 'Key',
        description: 'ci',
        roles: ['device:full-access'],
        expiresAt: null,
      });
      expect(r.body.accessKey.scopes).toEqual((await verify(old.key)).body.scopes);
      expect(r.body.previous.expiresAt).toBeGreaterThanOrEqual(before + 3600_000);
      expect(r.body.previous.expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
      expect((await verify(old.key)).body.code).toBe('VALID');
      expect((await verify(r.body.key)).body.code).toBe('VALID');
      // When the overlap has passed, only the successor works.
      await h.kw.ctx.store.db
        .updateTable('access_keys')
        .set({ expires_at: Date.now() - 1 })
        .where('id', '=', old.keyId)
        .execute();
      h.kw.ctx.changes.publish({ type: 'key', keyId: old.keyId });
      expect((await verify(old.key)).body.code).toBe('EXPIRED');
      expect((await verify(r.body.key)).body.code).toBe('VALID');
      const log = await h.call('GET', `/v1/accounts/${t.accountId}/audit?limit=1`, { token: t.adminToken });
      expect(log.body.events[0]).toMatchObject({
        action: 'key.rotate',
        targetId: r.body.accessKey.id,
        details: { fromKeyId: old.keyId, overlapSeconds: 3600 },
      });
    });

    it('overlap 0 revokes the old key at once; a rotated-away key cannot be rotated again', async () => {
      const t = await h.tenant();
      const old = await appWithKey(h, t, t.adminToken);
      const url = `/v1/accounts/${t.accountId}/keys/${old.keyId}/rotate`;
      const r = await h.call('POST', url, { token: t.adminToken, body: { overlapSeconds: 0, name: 'v2' } });
      expect(r.body.previous.status).toBe('revoked');
      expect(r.body.accessKey.name).toBe('v2');
      expect((await verify(old.key)).body.code).toBe('REVOKED');
      const again = await h.call('POST', url, { token: t.adminToken, body: { overlapSeconds: 0 } });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('KEY_NOT_ACTIVE');
    });

    it('works at the key limit, since the successor replaces the old key', async () => {
      const t = await h.tenant();
      await h.call('PATCH', `/v1/accounts/${t.accountId}`, { token: h.operatorToken, body: { maxKeysPerApplication: 1 } });
      const old = await appWithKey(h, t, t.adminToken);
      const r = await h.call('POST', `/v1/accounts/${t.accountId}/keys/${old.keyId}/rotate`, {
        token: t.adminToken,
        body: { overlapSeconds: 60 },
      });
      expect(r.status).toBe(201);
      const more = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${old.applicationId}/keys`, {
        token: t.adminToken,
        body: { name: 'x', scopes: [] },
      });
      expect(more.body.error.code).toBe('KEY_LIMIT_REACHED');
    });

    it('needs create and revoke permissions, never widens access, and respects tenancy', async () => {
      const t = await h.tenant();
      const revokerOnly = await h.user(t, { permissions: ['keys.revoke.any'] });
      const both = await h.user(t, { permissions: ['keys.revoke.any', 'keys.create.any'], apiScopes: ['device:read'] });
      const old = await appWithKey(h, t, t.adminToken, ['device:fuota']);
      const url = `/v1/accounts/${t.accountId}/keys/${old.keyId}/rotate`;
      expect((await h.call('POST', url, { token: revokerOnly.token, body: { overlapSeconds: 0 } })).status).toBe(403);
      const widen = await h.call('POST', url, { token: both.token, body: { overlapSeconds: 0 } });
      expect(widen.body.error.code).toBe('SCOPE_NOT_GRANTABLE');
      const bad = await h.call('POST', url, { token: t.adminToken, body: { overlapSeconds: -1 } });
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
      const other = await h.tenant();
      const cross = await h.call('POST', `/v1/accounts/${other.accountId}/keys/${old.keyId}/rotate`, {
        token: other.adminToken,
        body: { overlapSeconds: 0 },
      });
      expect(cross.status).toBe(404);
      expect((await verify(old.key)).body.code).toBe('VALID');
    });
  });
}
