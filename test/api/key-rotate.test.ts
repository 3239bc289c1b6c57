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

    const activeKeys = async (t: { accountId: string; adminToken: string }, applicationId: string) => {
      const r = await h.call('GET', `/v1/accounts/${t.accountId}/applications/${applicationId}/keys`, { token: t.adminToken });
      return r.body.keys.filter((k: { status: string }) => k.status === 'active').length;
    };

    // Regression (issue 10, item 9): the old key did not count against the limit, so rotating
    // with an overlap at 10 active keys left 11 active ones until the overlap ended.
    it('at the limit, a rotation with an overlap is refused with advice and writes nothing', async () => {
      const t = await h.tenant();
      const first = await appWithKey(h, t, t.adminToken);
      const base = `/v1/accounts/${t.accountId}/applications/${first.applicationId}/keys`;
      for (let i = 1; i < 10; i++) {
        expect((await h.call('POST', base, { token: t.adminToken, body: { name: `k${i}`, scopes: [] } })).status).toBe(201);
      }
      expect(await activeKeys(t, first.applicationId)).toBe(10);
      const r = await h.call('POST', `/v1/accounts/${t.accountId}/keys/${first.keyId}/rotate`, {
        token: t.adminToken,
        body: { overlapSeconds: 3600 },
      });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('KEY_LIMIT_REACHED');
      expect(r.body.error.message).toMatch(/overlapSeconds 0/);
      expect(r.body.error.message).toMatch(/revoke another key/);
      expect(r.body.error.message).toMatch(/operator to raise the limit/);
      expect(r.body.error.details).toEqual({ limit: 10 });
      expect(await activeKeys(t, first.applicationId)).toBe(10);
      // The old key was not touched: no expiry was set by the refused rotation.
      const old = await h.call('GET', `/v1/accounts/${t.accountId}/keys/${first.keyId}`, { token: t.adminToken });
      expect(old.body).toMatchObject({ status: 'active', expiresAt: null });
      expect((await verify(first.key)).body.code).toBe('VALID');

      // overlapSeconds 0 is a swap: allowed at the limit, and the count stays at 10.
      const swap = await h.call('POST', `/v1/accounts/${t.accountId}/keys/${first.keyId}/rotate`, {
        token: t.adminToken,
        body: { overlapSeconds: 0 },
      });
      expect(swap.status).toBe(201);
      expect(swap.body.previous.status).toBe('revoked');
      expect(await activeKeys(t, first.applicationId)).toBe(10);
      expect((await verify(first.key)).body.code).toBe('REVOKED');
      expect((await verify(swap.body.key)).body.code).toBe('VALID');
    });

    it('customer keys keep their limit through rotation too', async () => {
      const t = await h.tenant();
      await h.call('PATCH', `/v1/accounts/${t.accountId}`, { token: h.operatorToken, body: { maxKeysPerApplication: 2 } });
      const base = `/v1/accounts/${t.accountId}/keys`;
      const a = await h.call('POST', base, { token: t.adminToken, body: { kind: 'customer', name: 'c1', scopes: [] } });
      expect(a.status).toBe(201);
      expect((await h.call('POST', base, { token: t.adminToken, body: { kind: 'customer', name: 'c2', scopes: [] } })).status).toBe(201);
      const url = `${base}/${a.body.accessKey.id}/rotate`;
      const refused = await h.call('POST', url, { token: t.adminToken, body: { overlapSeconds: 60 } });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('KEY_LIMIT_REACHED');
      expect((await h.call('POST', url, { token: t.adminToken, body: { overlapSeconds: 0 } })).status).toBe(201);
      const list = await h.call('GET', `${base}?kind=customer`, { token: t.adminToken });
      expect(list.body.keys.filter((k: { status: string }) => k.status === 'active')).toHaveLength(2);
    });

    it('concurrent creations and rotations at one below the limit: exactly one gets the last place', async () => {
      const t = await h.tenant();
      await h.call('PATCH', `/v1/accounts/${t.accountId}`, { token: h.operatorToken, body: { maxKeysPerApplication: 4 } });
      const first = await appWithKey(h, t, t.adminToken);
      const base = `/v1/accounts/${t.accountId}/applications/${first.applicationId}/keys`;
      const second = await h.call('POST', base, { token: t.adminToken, body: { name: 'k2', scopes: [] } });
      const third = await h.call('POST', base, { token: t.adminToken, body: { name: 'k3', scopes: [] } });
      expect(await activeKeys(t, first.applicationId)).toBe(3);

      const creations = await Promise.all(
        Array.from({ length: 5 }, (_, i) => h.call('POST', base, { token: t.adminToken, body: { name: `p${i}`, scopes: [] } })),
      );
      expect(creations.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      expect(await activeKeys(t, first.applicationId)).toBe(4);

      // Free one place again, then race overlapping rotations of different keys against creations.
      const made = creations.find((r) => r.status === 201);
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${made?.body.accessKey.id}/revoke`, { token: t.adminToken });
      expect(await activeKeys(t, first.applicationId)).toBe(3);
      const rotate = (keyId: string) =>
        h.call('POST', `/v1/accounts/${t.accountId}/keys/${keyId}/rotate`, { token: t.adminToken, body: { overlapSeconds: 600 } });
      const mixed = await Promise.all([
        rotate(first.keyId),
        rotate(second.body.accessKey.id),
        rotate(third.body.accessKey.id),
        h.call('POST', base, { token: t.adminToken, body: { name: 'm1', scopes: [] } }),
        h.call('POST', base, { token: t.adminToken, body: { name: 'm2', scopes: [] } }),
      ]);
      expect(mixed.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of mixed.filter((r) => r.status !== 201)) expect(r.body.error.code).toBe('KEY_LIMIT_REACHED');
      expect(await activeKeys(t, first.applicationId)).toBe(4);
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
