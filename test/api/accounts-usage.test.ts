import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness } from '../harness.js';

/** GET /v1/accounts/usage: the operator's overview of every account (the dashboard's Accounts page). */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`account usage overview [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect, { usageFlushIntervalMs: 3_600_000 });
    });
    afterAll(async () => h?.close());

    it("counts each account's live users, active applications and keys, devices and the last 7 days' uses", async () => {
      const t = await h.tenant();
      const quiet = await h.tenant();
      const member = await h.user(t, {
        permissions: ['applications.create', 'keys.create.mine', 'keys.view.mine', 'keys.revoke.mine'],
        apiScopes: ['device:read'],
      });
      const a = await appWithKey(h, t, t.adminToken, ['device:read']);
      const b = await appWithKey(h, t, member.token, ['device:read']);
      // A revoked key and a revoked application do not count as active.
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${b.keyId}/revoke`, { token: member.token, body: {} });
      const revokedApp = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Gone' } });
      await h.call('POST', `/v1/accounts/${t.accountId}/applications/${revokedApp.body.id}/revoke`, { token: t.adminToken, body: {} });
      await h.call('POST', `/v1/accounts/${t.accountId}/devices`, { token: t.adminToken, body: { name: 'Meter' } });
      for (let i = 0; i < 3; i++) await h.call('POST', '/v1/keys/verify', { body: { key: a.key } });
      // Uses still in the recorder's buffer are flushed first.
      const r = await h.call('GET', '/v1/accounts/usage', { token: h.operatorToken });
      expect(r.status).toBe(200);
      const row = r.body.accounts.find((x: { accountId: string }) => x.accountId === t.accountId);
      // A device that has made no signed request yet: counted, no use.
      expect(row).toMatchObject({ users: 2, activeApplications: 2, activeKeys: 1, devices: 1, uses: 3, rejected: 0, deviceUses: 0 });
      expect(row.lastUsedAt).toBeGreaterThan(Date.now() - 60_000);
      expect(r.body.accounts.find((x: { accountId: string }) => x.accountId === quiet.accountId)).toEqual({
        accountId: quiet.accountId,
        users: 1,
        activeApplications: 0,
        activeKeys: 0,
        devices: 0,
        uses: 0,
        rejected: 0,
        lastUsedAt: null,
        deviceUses: 0,
        deviceRejected: 0,
        deviceLastUsedAt: null,
      });
      expect(r.body.since).toBeLessThanOrEqual(Date.now() - 7 * 24 * 3_600_000);
      // Every account, in GET /v1/accounts's order.
      const list = await h.call('GET', '/v1/accounts', { token: h.operatorToken });
      expect(r.body.accounts.map((x: { accountId: string }) => x.accountId)).toEqual(list.body.accounts.map((x: { id: string }) => x.id));
      // Counts only: nothing about people or secrets.
      expect(JSON.stringify(r.body)).not.toMatch(/@|kw_|secret/i);
    });

    it('is for the operator alone: admins, members and access keys (even with every management scope) get 403', async () => {
      const t = await h.tenant();
      const member = await h.user(t, { permissions: ['users.view', 'keys.view.any', 'applications.view'] });
      const k = await appWithKey(h, t, t.adminToken, ['keyward:keys.view.any', 'keyward:applications.view']);
      for (const token of [t.adminToken, member.token, k.key]) {
        const r = await h.call('GET', '/v1/accounts/usage', { token });
        expect(r.status).toBe(403);
        expect(r.body.error.code).toBe('FORBIDDEN');
        expect(JSON.stringify(r.body)).not.toContain(t.accountId);
      }
      expect((await h.call('GET', '/v1/accounts/usage', {})).status).toBe(401);
      // The static path does not shadow a real account ID, nor the reverse.
      expect((await h.call('GET', `/v1/accounts/${t.accountId}`, { token: t.adminToken })).status).toBe(200);
    });
  });
}
