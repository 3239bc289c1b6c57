import { describe, expect, it } from 'vitest';
import { DeviceSigningCache } from '../../src/cache/device-cache.js';
import { VerificationCache } from '../../src/cache/verification-cache.js';
import { KeywardError } from '../../src/core/errors.js';
import type { DeviceSigningRecord } from '../../src/store/repos/devices.js';
import type { KeyVerificationRecord } from '../../src/store/repos/keys.js';

const keyRecord = {
  key: { id: 'key_1', accountId: 'acc_1', applicationId: 'app_1', createdBy: 'usr_1', scopes: [], roles: [] },
} as unknown as KeyVerificationRecord;
const deviceRecord = {
  device: { id: 'd1', accountId: 'acc_1', lastUsedAt: null },
  sealedSecret: 'sealed',
} as unknown as DeviceSigningRecord;

/** A store read that can be switched off, as a database outage switches it off. */
function outage<T>(rows: Map<string, T>) {
  let down = false;
  return {
    load: async (id: string) => {
      if (down) throw new KeywardError('STORE_UNAVAILABLE');
      return rows.get(id);
    },
    set down(v: boolean) {
      down = v;
    },
  };
}

/**
 * Fail closed: a cache that cannot reach the store must neither serve what it can no longer
 * vouch for (an expired entry) nor remember the failure as "no such key" (a negative entry).
 */
describe('caches during a store outage', () => {
  it('VerificationCache: an expired record is not served on a failed load, and the failure is not cached as NOT_FOUND', async () => {
    let clock = 0;
    const store = outage(new Map([['h1', keyRecord]]));
    const cache = new VerificationCache({
      load: store.load,
      now: () => clock,
      maxEntries: 10,
      ttlMs: 1000,
      maxNegative: 10,
      negativeTtlMs: 1000,
    });
    expect(await cache.lookup('h1')).toBe(keyRecord);
    store.down = true;
    expect(cache.peek('h1')).toBe(keyRecord); // within its TTL the cache vouches for it
    clock += 1001;
    await expect(cache.lookup('h1')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(cache.peek('h1')).toBeUndefined();
    await expect(cache.lookup('unknown')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(cache.peek('unknown')).toBeUndefined(); // not a negative entry: the next lookup asks the store again
    expect(cache.stats()).toMatchObject({ size: 0, negativeSize: 0 });
    store.down = false;
    expect(await cache.lookup('h1')).toBe(keyRecord);
    expect(await cache.lookup('unknown')).toBeUndefined();
    expect(cache.peek('unknown')).toBeNull();
  });

  it('DeviceSigningCache: an expired device is not served on a failed load, and the failure is not cached as unknown', async () => {
    let clock = 0;
    const store = outage(new Map([['d1', deviceRecord]]));
    const cache = new DeviceSigningCache({ load: store.load, now: () => clock, maxEntries: 10, ttlMs: 1000, negativeTtlMs: 1000 });
    expect(await cache.lookup('d1')).toBe(deviceRecord);
    store.down = true;
    clock += 1001;
    await expect(cache.lookup('d1')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(cache.lookup('d2')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(cache.stats().size).toBe(0);
    await expect(cache.lookup('d2')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    store.down = false;
    expect(await cache.lookup('d1')).toBe(deviceRecord);
    expect(cache.stats()).toMatchObject({ loads: 5, size: 1 });
  });
});
