import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, DIALECTS, type Harness } from '../harness.js';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`applications [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    it('creates, lists, edits and revokes an application; revoked hidden by default', async () => {
      const t = await h.tenant();
      const base = `/v1/accounts/${t.accountId}/applications`;
      const created = await h.call('POST', base, { token: t.adminToken, body: { name: 'Billing sync', description: 'nightly' } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'Billing sync', description: 'nightly', status: 'active', createdBy: t.adminId });
      expect(created.body.id).toMatch(/^app_/);

      const edited = await h.call('PATCH', `${base}/${created.body.id}`, { token: t.adminToken, body: { name: 'Billing' } });
      expect(edited.status).toBe(200);
      expect(edited.body.name).toBe('Billing');

      const revoked = await h.call('POST', `${base}/${created.body.id}/revoke`, { token: t.adminToken });
      expect(revoked.status).toBe(200);
      expect(revoked.body.status).toBe('revoked');

      const list = await h.call('GET', base, { token: t.adminToken });
      expect(list.body.applications).toEqual([]);
      const all = await h.call('GET', `${base}?include=revoked`, { token: t.adminToken });
      expect(all.body.applications.map((a: { id: string }) => a.id)).toEqual([created.body.id]);

      const again = await h.call('POST', `${base}/${created.body.id}/revoke`, { token: t.adminToken });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('ALREADY_REVOKED');
    });

    it('allows at most 10 active applications; revoked ones do not count', async () => {
      const t = await h.tenant();
      const base = `/v1/accounts/${t.accountId}/applications`;
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await h.call('POST', base, { token: t.adminToken, body: { name: `a${i}` } });
        expect(r.status).toBe(201);
        ids.push(r.body.id);
      }
      const over = await h.call('POST', base, { token: t.adminToken, body: { name: 'eleventh' } });
      expect(over.status).toBe(409);
      expect(over.body.error.code).toBe('APPLICATION_LIMIT_REACHED');
      expect(over.body.error.requestId).toMatch(/^req_/);

      await h.call('POST', `${base}/${ids[0]}/revoke`, { token: t.adminToken });
      const after = await h.call('POST', base, { token: t.adminToken, body: { name: 'eleventh' } });
      expect(after.status).toBe(201);
    });

    it('concurrent creations never exceed the limit', async () => {
      const t = await h.tenant();
      await h.call('PATCH', `/v1/accounts/${t.accountId}`, { token: h.operatorToken, body: { maxApplications: 3 } });
      const base = `/v1/accounts/${t.accountId}/applications`;
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => h.call('POST', base, { token: t.adminToken, body: { name: `c${i}` } })),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(3);
      expect(results.filter((r) => r.status === 409)).toHaveLength(5);
      const list = await h.call('GET', base, { token: t.adminToken });
      expect(list.body.applications).toHaveLength(3);
    });

    it('the limit is configurable per account by the operator only', async () => {
      const t = await h.tenant();
      const denied = await h.call('PATCH', `/v1/accounts/${t.accountId}`, { token: t.adminToken, body: { maxApplications: 50 } });
      expect(denied.status).toBe(403);
      const ok = await h.call('PATCH', `/v1/accounts/${t.accountId}`, { token: h.operatorToken, body: { maxApplications: 1 } });
      expect(ok.body.maxApplications).toBe(1);
      const base = `/v1/accounts/${t.accountId}/applications`;
      expect((await h.call('POST', base, { token: t.adminToken, body: { name: 'one' } })).status).toBe(201);
      expect((await h.call('POST', base, { token: t.adminToken, body: { name: 'two' } })).body.error.code).toBe(
        'APPLICATION_LIMIT_REACHED',
      );
    });

    it("never shows or touches another account's applications", async () => {
      const a = await h.tenant();
      const b = await h.tenant();
      const app = await h.call('POST', `/v1/accounts/${a.accountId}/applications`, { token: a.adminToken, body: { name: 'secret app' } });
      const probes = [
        h.call('GET', `/v1/accounts/${a.accountId}/applications`, { token: b.adminToken }),
        h.call('GET', `/v1/accounts/${a.accountId}/applications/${app.body.id}`, { token: b.adminToken }),
        h.call('PATCH', `/v1/accounts/${a.accountId}/applications/${app.body.id}`, { token: b.adminToken, body: { name: 'x' } }),
        h.call('POST', `/v1/accounts/${a.accountId}/applications/${app.body.id}/revoke`, { token: b.adminToken }),
      ];
      for (const r of await Promise.all(probes)) {
        expect(r.status).toBe(404);
        expect(r.body.error.code).toBe('ACCOUNT_NOT_FOUND');
      }
      // B's own account path with A's application id: not found either.
      const cross = await h.call('GET', `/v1/accounts/${b.accountId}/applications/${app.body.id}`, { token: b.adminToken });
      expect(cross.status).toBe(404);
      expect(cross.body.error.code).toBe('APPLICATION_NOT_FOUND');
      const still = await h.call('GET', `/v1/accounts/${a.accountId}/applications/${app.body.id}`, { token: a.adminToken });
      expect(still.body.name).toBe('secret app');
    });

    it('rejects bad input with VALIDATION_FAILED and writes nothing', async () => {
      const t = await h.tenant();
      const base = `/v1/accounts/${t.accountId}/applications`;
      for (const body of [{}, { name: '' }, { name: 'x'.repeat(101) }, { name: 5 }]) {
        const r = await h.call('POST', base, { token: t.adminToken, body });
        expect(r.status).toBe(400);
        expect(r.body.error.code).toBe('VALIDATION_FAILED');
      }
      expect((await h.call('GET', `${base}?include=revoked`, { token: t.adminToken })).body.applications).toEqual([]);
    });
  });
}
