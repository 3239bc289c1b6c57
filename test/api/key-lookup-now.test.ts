import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/core/key-format.js';
import { findKeyForVerification, findKeyForVerificationNow } from '../../src/store/repos/keys.js';
import { appWithKey, createHarness, DIALECTS, type Harness } from '../harness.js';

/**
 * The synchronous verification read (issue #15): on SQLite a read connection of its own answers
 * cache misses without Kysely. It must give exactly the record the asynchronous read gives, see
 * only committed data, and never wait for a transaction this process holds open.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`synchronous verification read [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    it('answers on SQLite with the same record as the asynchronous read; PostgreSQL leaves it to the asynchronous read', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const hash = hashSecret(k.key);
      const now = findKeyForVerificationNow(h.kw.ctx.store, hash);
      const later = await findKeyForVerification(h.kw.ctx.store.db, hash);
      if (dialect.name !== 'sqlite') {
        expect(now).toBeUndefined();
        return;
      }
      expect(later).toBeDefined();
      expect(now).toEqual(later);
      expect(now?.key.id).toBe(k.keyId);
      expect(Object.isFrozen(now?.key.scopes)).toBe(true);
      // No key has this hash: null (known absent), not undefined (cannot tell).
      expect(findKeyForVerificationNow(h.kw.ctx.store, hashSecret(`${k.key}x`))).toBeNull();
    });

    it.runIf(dialect.name === 'sqlite')('never sees a transaction in progress, and does not wait for it', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const hash = hashSecret(k.key);
      const store = h.kw.ctx.store;
      let seenInside: string | undefined;
      await store
        .transaction(async (tx) => {
          await tx.updateTable('access_keys').set({ status: 'revoked', revoked_at: 1 }).where('id', '=', k.keyId).execute();
          // Inside the open transaction (Kysely's connection held): the committed row, at once.
          seenInside = findKeyForVerificationNow(store, hash)?.key.status;
          throw new Error('roll back');
        })
        .catch(() => {});
      expect(seenInside).toBe('active');
      expect(findKeyForVerificationNow(store, hash)?.key.status).toBe('active');
      // A committed change is seen by the next read.
      await store.db.updateTable('access_keys').set({ name: 'renamed' }).where('id', '=', k.keyId).execute();
      expect(findKeyForVerificationNow(store, hash)?.key.name).toBe('renamed');
    });

    it('a verification that misses the cache reads the store once, and the revoke that follows is seen at once', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken, ['device:read']);
      const cache = h.kw.ctx.verificationCache;
      if (!cache) throw new Error('verification cache is not enabled');
      cache.clear();
      const before = cache.stats().loads;
      expect((await h.call('POST', '/v1/keys/verify', { body: { key: k.key } })).body.code).toBe('VALID');
      expect(cache.stats().loads).toBe(before + 1);
      const r = await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
      expect(r.status).toBe(200);
      expect((await h.call('POST', '/v1/keys/verify', { body: { key: k.key } })).body.code).toBe('REVOKED');
    });
  });
}
