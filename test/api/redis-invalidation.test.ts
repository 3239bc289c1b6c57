import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keyward } from '../../src/server.js';
import { appWithKey, closeTwoNodes, DIALECTS, type Harness, REDIS_URL, startTwoNodes, verifyCodeOn } from '../harness.js';

/** Polls until `fn` returns `want`: delivery between nodes is asynchronous (pub/sub), bounded at 5 s. */
async function eventually<T>(fn: () => Promise<T>, want: T): Promise<T> {
  let last = await fn();
  for (let i = 0; i < 100 && last !== want; i++) {
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled || !REDIS_URL)(`cache invalidation across nodes over Redis [${dialect.name}]`, () => {
    let h: Harness;
    let other: Keyward;
    beforeAll(async () => {
      ({ h, other } = await startTwoNodes(dialect, { redisUrl: REDIS_URL }));
    });
    afterAll(async () => closeTwoNodes({ h, other }));

    const verifyOn = verifyCodeOn;

    it('a revoke on one node reaches the cache of the other', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      expect(await verifyOn(other, k.key)).toBe('VALID');
      expect(await verifyOn(other, k.key)).toBe('VALID'); // now cached on the other node
      await h.call('POST', `/v1/accounts/${t.accountId}/keys/${k.keyId}/revoke`, { token: t.adminToken });
      expect(await eventually(() => verifyOn(other, k.key), 'REVOKED')).toBe('REVOKED');
    });

    it('an application revoke on one node reaches the cache of the other', async () => {
      const t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      expect(await verifyOn(other, k.key)).toBe('VALID');
      await h.call('POST', `/v1/accounts/${t.accountId}/applications/${k.applicationId}/revoke`, { token: t.adminToken });
      expect(await eventually(() => verifyOn(other, k.key), 'DISABLED')).toBe('DISABLED');
    });
  });
}
