import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateKey } from '../../src/core/key-format.js';
import { appWithKey, createHarness, DIALECTS, type Harness } from '../harness.js';

// The only way to look a key up before it exists is to know its secret in advance: queue it here.
const nextKeys = vi.hoisted(() => [] as string[]);
vi.mock('../../src/core/key-format.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/key-format.js')>();
  return { ...real, generateKey: () => nextKeys.shift() ?? real.generateKey() };
});

/** Store reads made by verification: the cache's count of calls into the store lookup. */
function loads(h: Harness): number {
  const cache = h.kw.ctx.verificationCache;
  if (!cache) throw new Error('verification cache is not enabled');
  return cache.stats().loads;
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`verification cache [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    const verify = async (key: string, scopes?: string[]) =>
      (await h.call('POST', '/v1/keys/verify', { body: { key, ...(scopes && { scopes }) } })).body;

    it('serves a repeated verification without a store read', async () => {
      const t = await h.tenant();
      const { key } = await appWithKey(h, t, t.adminToken, ['device:read']);
      expect((await verify(key)).code).toBe('VALID');
      const before = loads(h);
      for (let i = 0; i < 20; i++) expect((await verify(key, ['device:read'])).code).toBe('VALID');
      expect(loads(h)).toBe(before);
    });

    it('a revoked key is refused as soon as the revoke call has returned', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      expect((await verify(k.key)).code).toBe('VALID');
      const r = await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
      expect(r.status).toBe(200);
      expect((await verify(k.key)).code).toBe('REVOKED');
    });

    it('revoking the application disables its cached keys at once', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      expect((await verify(k.key)).code).toBe('VALID');
      await h.call('POST', `/v1/accounts/${t.accountId}/applications/${k.applicationId}/revoke`, { token: t.adminToken });
      expect((await verify(k.key)).code).toBe('DISABLED');
    });

    it("deleting the key's creator disables the cached key at once", async () => {
      const t = await h.tenant();
      const u = await h.user(t, {
        permissions: ['applications.view', 'applications.create', 'keys.view.mine', 'keys.create.mine'],
        apiScopes: ['device:read'],
      });
      const k = await appWithKey(h, t, u.token, ['device:read']);
      expect((await verify(k.key)).code).toBe('VALID');
      const del = await h.call('DELETE', `/v1/accounts/${t.accountId}/users/${u.id}`, { token: t.adminToken });
      expect(del.status).toBeLessThan(300);
      expect((await verify(k.key)).code).toBe('DISABLED');
    });

    it("changing the creator's rights drops the cached entries (re-read from the store)", async () => {
      const t = await h.tenant();
      const u = await h.user(t, {
        permissions: ['applications.view', 'applications.create', 'keys.view.mine', 'keys.create.mine'],
        apiScopes: ['device:read'],
      });
      const k = await appWithKey(h, t, u.token, ['device:read']);
      await verify(k.key);
      const before = loads(h);
      await h.call('PATCH', `/v1/accounts/${t.accountId}/users/${u.id}`, { token: t.adminToken, body: { name: 'Renamed' } });
      expect((await verify(k.key)).code).toBe('VALID');
      expect(loads(h)).toBe(before + 1);
    });

    it('expiry is judged at verification time even while the record is cached', async () => {
      const t = await h.tenant();
      // Well inside the cache TTL (30 s), so the expired verdict comes from the cached record.
      const expiresAt = Date.now() + 5_000;
      const k = await appWithKey(h, t, t.adminToken, [], { expiresAt });
      expect((await verify(k.key)).code).toBe('VALID');
      const realNow = h.kw.ctx.now;
      try {
        h.kw.ctx.now = () => expiresAt + 1;
        const before = loads(h);
        expect((await verify(k.key)).code).toBe('EXPIRED');
        expect(loads(h)).toBe(before);
      } finally {
        h.kw.ctx.now = realNow;
      }
    });

    it('a key verifies immediately even if its hash was looked up (and cached as unknown) before creation', async () => {
      const t = await h.tenant();
      const app = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'A' } });
      const predicted = generateKey();
      expect((await verify(predicted)).code).toBe('NOT_FOUND');
      expect((await verify(predicted)).code).toBe('NOT_FOUND');
      nextKeys.push(predicted);
      const created = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
        token: t.adminToken,
        body: { name: 'K', scopes: [] },
      });
      expect(created.status).toBe(201);
      expect(created.body.key).toBe(predicted);
      expect((await verify(predicted)).code).toBe('VALID');
    });

    it('a flood of random keys never reaches the store', async () => {
      const before = loads(h);
      for (let i = 0; i < 200; i++) {
        const junk = `kw_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`;
        expect((await verify(junk)).code).toBe('MALFORMED');
      }
      // Well-formed (valid checksum) but unknown keys: each distinct one costs one read, repeats none.
      const unknown = Array.from({ length: 5 }, () => generateKey());
      for (let round = 0; round < 10; round++) for (const k of unknown) expect((await verify(k)).code).toBe('NOT_FOUND');
      expect(loads(h)).toBe(before + unknown.length);
    });
  });
}
