import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';

const DAY = 86_400_000;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`key deletion [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    const del = (t: Tenant, keyId: string, body: unknown, token = t.adminToken) =>
      h.call('DELETE', `/v1/accounts/${t.accountId}/keys/${keyId}`, { token, body });
    const use = (key: string) => h.call('POST', '/v1/keys/verify', { body: { key } });
    /** Setup only: pretend the key was last used `ago` ms before now. */
    const setLastUsed = (keyId: string, at: number) =>
      h.kw.ctx.store.db.updateTable('access_keys').set({ last_used_at: at }).where('id', '=', keyId).execute();

    async function customerKey(t: Tenant) {
      const r = await h.call('POST', `/v1/accounts/${t.accountId}/keys`, {
        token: t.adminToken,
        body: { kind: 'customer', name: 'Billing', scopes: ['billing:access'] },
      });
      return { keyId: r.body.accessKey.id as string, key: r.body.key as string };
    }

    it('deletes an unused application key when its application ID is typed back; audited, gone, stops verifying', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const r = await del(t, k.keyId, { confirm: k.applicationId });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ ok: true });
      expect((await h.call('GET', `/v1/accounts/${t.accountId}/keys/${k.keyId}`, { token: t.adminToken })).status).toBe(404);
      expect((await h.call('GET', `/v1/accounts/${t.accountId}/keys?include=revoked`, { token: t.adminToken })).body.keys).toEqual([]);
      expect((await use(k.key)).body.code).toBe('NOT_FOUND');
      const audit = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
      const event = audit.body.events.find((e: any) => e.action === 'key.delete');
      expect(event).toMatchObject({
        targetId: k.keyId,
        actorId: t.adminId,
        details: { kind: 'application', confirm: k.applicationId, recentUseConfirmed: false },
      });
      expect(JSON.stringify(audit.body)).not.toContain(k.key);
    });

    it('publishes the deletion on the change feed so caches drop the key', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const seen: unknown[] = [];
      const off = h.kw.ctx.changes.subscribe((c) => seen.push(c));
      await del(t, k.keyId, { confirm: k.applicationId });
      off();
      expect(seen).toContainEqual({ type: 'key', keyId: k.keyId });
    });

    it('customer keys need the customer ID typed back, not an application ID', async () => {
      const t = await h.tenant();
      const c = await customerKey(t);
      const wrong = await del(t, c.keyId, { confirm: 'app_whatever' });
      expect(wrong.status).toBe(409);
      expect(wrong.body.error.code).toBe('CONFIRMATION_MISMATCH');
      const ok = await del(t, c.keyId, { confirm: t.customerId });
      expect(ok.status).toBe(200);
    });

    it('409 CONFIRMATION_MISMATCH for a wrong or empty confirmation; nothing deleted', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      for (const confirm of ['', 'nope', t.customerId, k.keyId]) {
        const r = await del(t, k.keyId, { confirm, confirmRecentUse: true });
        expect(r.status, confirm).toBe(409);
        expect(r.body.error.code).toBe('CONFIRMATION_MISMATCH');
      }
      expect((await use(k.key)).body.valid).toBe(true);
    });

    it('400 without a body or a confirm field', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const none = await h.call('DELETE', `/v1/accounts/${t.accountId}/keys/${k.keyId}`, { token: t.adminToken });
      expect(none.status).toBe(400);
      const missing = await del(t, k.keyId, { confirmRecentUse: true });
      expect(missing.status).toBe(400);
      expect(missing.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('a key used within 3 days (use still buffered, not flushed) needs confirmRecentUse', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      expect((await use(k.key)).body.valid).toBe(true);
      const first = await del(t, k.keyId, { confirm: k.applicationId });
      expect(first.status).toBe(409);
      expect(first.body.error.code).toBe('RECENT_USE_CONFIRMATION_REQUIRED');
      expect(first.body.error.details.lastUsedAt).toBeGreaterThan(Date.now() - DAY);
      const notTrue = await del(t, k.keyId, { confirm: k.applicationId, confirmRecentUse: false });
      expect(notTrue.body.error.code).toBe('RECENT_USE_CONFIRMATION_REQUIRED');
      const ok = await del(t, k.keyId, { confirm: k.applicationId, confirmRecentUse: true });
      expect(ok.status).toBe(200);
      const audit = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
      expect(audit.body.events.find((e: any) => e.action === 'key.delete').details.recentUseConfirmed).toBe(true);
    });

    it('the 3-day rule reads flushed use too, and lapses after 3 days', async () => {
      const t = await h.tenant();
      const recent = await appWithKey(h, t, t.adminToken, ['device:read']);
      await use(recent.key);
      await h.kw.ctx.usage.flush();
      expect(h.kw.ctx.usage.pendingLastUsed(recent.keyId)).toBeNull();
      expect((await del(t, recent.keyId, { confirm: recent.applicationId })).body.error.code).toBe('RECENT_USE_CONFIRMATION_REQUIRED');

      const old = await appWithKey(h, t, t.adminToken, ['device:read']);
      await setLastUsed(old.keyId, Date.now() - 3 * DAY - 60_000);
      expect((await del(t, old.keyId, { confirm: old.applicationId })).status).toBe(200);

      const edge = await appWithKey(h, t, t.adminToken, ['device:read']);
      await setLastUsed(edge.keyId, Date.now() - 3 * DAY + 60_000);
      expect((await del(t, edge.keyId, { confirm: edge.applicationId })).status).toBe(409);
    });

    it('revoked keys can be deleted too (same confirmation rules)', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
      expect((await del(t, k.keyId, { confirm: k.applicationId })).status).toBe(200);
    });

    it('needs keys.revoke (any, or mine on own applications); customer keys need an admin', async () => {
      const t = await h.tenant();
      const viewer = await h.user(t, { permissions: ['keys.view.any'] });
      const mine = await h.user(t, {
        permissions: ['applications.create', 'keys.create.mine', 'keys.revoke.mine'],
        apiScopes: ['device:read'],
      });
      const adminKey = await appWithKey(h, t, t.adminToken, ['device:read']);
      const ownKey = await appWithKey(h, t, mine.token, ['device:read']);
      expect((await del(t, adminKey.keyId, { confirm: adminKey.applicationId }, viewer.token)).status).toBe(403);
      expect((await del(t, adminKey.keyId, { confirm: adminKey.applicationId }, mine.token)).status).toBe(403);
      expect((await del(t, ownKey.keyId, { confirm: ownKey.applicationId }, mine.token)).status).toBe(200);
      const c = await customerKey(t);
      const any = await h.user(t, { permissions: ['keys.revoke.any'] });
      expect((await del(t, c.keyId, { confirm: t.customerId }, any.token)).status).toBe(403);
    });

    it("security: another account's admin gets 404 and deletes nothing", async () => {
      const a = await h.tenant();
      const b = await h.tenant();
      const k = await appWithKey(h, a, a.adminToken, ['device:read']);
      const cross = await h.call('DELETE', `/v1/accounts/${a.accountId}/keys/${k.keyId}`, {
        token: b.adminToken,
        body: { confirm: k.applicationId },
      });
      expect(cross.status).toBe(404);
      const own = await h.call('DELETE', `/v1/accounts/${b.accountId}/keys/${k.keyId}`, {
        token: b.adminToken,
        body: { confirm: k.applicationId },
      });
      expect(own.status).toBe(404);
      expect(own.body.error.code).toBe('KEY_NOT_FOUND');
      expect((await use(k.key)).body.valid).toBe(true);
    });
  });
}
