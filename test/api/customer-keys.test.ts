import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`customer keys and key immutability [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    const create = (t: Tenant, token: string, body: Record<string, unknown>) =>
      h.call('POST', `/v1/accounts/${t.accountId}/keys`, { token, body: { kind: 'customer', name: 'Billing', ...body } });

    it('an admin creates a customer key with Billing Access; shown once, listed under kind=customer', async () => {
      const t = await h.tenant();
      const r = await create(t, t.adminToken, { scopes: ['billing:access'], description: 'ERP export' });
      expect(r.status).toBe(201);
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.body.key).toMatch(/^kw_/);
      expect(r.body.accessKey).toMatchObject({
        kind: 'customer',
        applicationId: null,
        scopes: ['billing:access'],
        status: 'active',
        createdBy: t.adminId,
        description: 'ERP export',
      });
      const listed = await h.call('GET', `/v1/accounts/${t.accountId}/keys?kind=customer`, { token: t.adminToken });
      expect(listed.body.keys.map((k: { id: string }) => k.id)).toEqual([r.body.accessKey.id]);
      expect(JSON.stringify(listed.body)).not.toContain(r.body.key);
      const audit = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
      expect(audit.body.events.some((e: any) => e.action === 'key.create' && e.details.kind === 'customer')).toBe(true);
    });

    it('application scopes are refused on customer keys, and billing on application keys', async () => {
      const t = await h.tenant();
      for (const scopes of [['device:read'], ['device:full-access'], ['billing:access', 'device:fuota']]) {
        const r = await create(t, t.adminToken, { scopes });
        expect(r.status, scopes.join()).toBe(400);
        expect(r.body.error.code).toBe('UNKNOWN_SCOPE');
      }
      const app = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'A' } });
      const appKey = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
        token: t.adminToken,
        body: { name: 'k', scopes: ['billing:access'] },
      });
      expect(appKey.status).toBe(400);
      expect(appKey.body.error.code).toBe('UNKNOWN_SCOPE');
      expect((await h.call('GET', `/v1/accounts/${t.accountId}/keys?include=revoked`, { token: t.adminToken })).body.keys).toEqual([]);
    });

    it('only account admins: members (even with every key permission), key-authenticated callers and the operator are refused', async () => {
      const t = await h.tenant();
      const member = await h.user(t, {
        permissions: ['keys.create.any', 'keys.view.any', 'keys.revoke.any', 'applications.create'],
        apiScopes: ['billing:access'],
      });
      const m = await create(t, member.token, { scopes: ['billing:access'] });
      expect(m.status).toBe(403);
      expect(m.body.error.code).toBe('FORBIDDEN');
      const op = await create(t, h.operatorToken, { scopes: ['billing:access'] });
      expect(op.status).toBe(403);
      const mgmt = await appWithKey(h, t, t.adminToken, ['keyward:keys.create.any']);
      const viaKey = await create(t, mgmt.key, { scopes: ['billing:access'] });
      expect(viaKey.status).toBe(403);
      expect((await h.call('GET', `/v1/accounts/${t.accountId}/keys?kind=customer`, { token: t.adminToken })).body.keys).toEqual([]);
    });

    it('at most maxKeysPerApplication active customer keys per account; revoked ones do not count', async () => {
      const t = await h.tenant();
      await h.call('PATCH', `/v1/accounts/${t.accountId}`, { token: h.operatorToken, body: { maxKeysPerApplication: 2 } });
      const a = await create(t, t.adminToken, { scopes: ['billing:access'] });
      expect((await create(t, t.adminToken, { scopes: ['billing:access'] })).status).toBe(201);
      const over = await create(t, t.adminToken, { scopes: ['billing:access'] });
      expect(over.status).toBe(409);
      expect(over.body.error.code).toBe('KEY_LIMIT_REACHED');
      expect(over.body.error.details).toEqual({ limit: 2 });
      // Application keys have their own per-application limit, unaffected.
      await appWithKey(h, t, t.adminToken, ['device:read']);
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${a.body.accessKey.id}/revoke`, { token: t.adminToken });
      expect((await create(t, t.adminToken, { scopes: ['billing:access'] })).status).toBe(201);
    });

    it('rejects bad input: kind other than customer, past expiry, unknown scope', async () => {
      const t = await h.tenant();
      const wrongKind = await h.call('POST', `/v1/accounts/${t.accountId}/keys`, {
        token: t.adminToken,
        body: { kind: 'application', name: 'x', scopes: ['device:read'] },
      });
      expect(wrongKind.status).toBe(400);
      expect(wrongKind.body.error.code).toBe('VALIDATION_FAILED');
      expect((await create(t, t.adminToken, { scopes: ['billing:access'], expiresAt: Date.now() - 1000 })).body.error.code).toBe(
        'EXPIRY_IN_PAST',
      );
      expect((await create(t, t.adminToken, { scopes: ['nope'] })).body.error.code).toBe('UNKNOWN_SCOPE');
    });

    it('security: another account cannot create or see customer keys', async () => {
      const a = await h.tenant();
      const b = await h.tenant();
      const r = await create(a, b.adminToken, { scopes: ['billing:access'] });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('ACCOUNT_NOT_FOUND');
    });

    it("a key's access cannot be edited: PATCH with scopes, expiresAt or kind is refused and changes nothing", async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const url = `/v1/accounts/${t.accountId}/keys/${k.keyId}`;
      for (const body of [
        { scopes: ['device:full-access'] },
        { expiresAt: Date.now() + 86_400_000 },
        { kind: 'customer' },
        { roles: [] },
      ]) {
        const r = await h.call('PATCH', url, { token: t.adminToken, body: { name: 'renamed', ...body } });
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error.code).toBe('VALIDATION_FAILED');
      }
      const after = await h.call('GET', url, { token: t.adminToken });
      expect(after.body).toMatchObject({ name: 'Key', scopes: ['device:read'], expiresAt: null, kind: 'application' });
      const renamed = await h.call('PATCH', url, { token: t.adminToken, body: { name: 'renamed' } });
      expect(renamed.status).toBe(200);
      expect(renamed.body.scopes).toEqual(['device:read']);
    });
  });
}
