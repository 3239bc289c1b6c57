import { describe, expect, it } from 'vitest';
import { DeviceSigningCache } from '../../src/cache/device-cache.js';
import { VerificationCache } from '../../src/cache/verification-cache.js';
import type { DeviceSigningRecord } from '../../src/store/repos/devices.js';
import type { KeyVerificationRecord } from '../../src/store/repos/keys.js';

/**
 * While the invalidation relay is down the caches cap every entry's life at
 * KEYWARD_RELAY_DOWN_TTL_MS (setTtlBound): entries already held as well as new ones, so a
 * change another node makes during the outage is seen within the cap.
 */
const keyRecord = (n: number): KeyVerificationRecord =>
  ({
    key: { id: `key_${n}`, accountId: 'acc_1', applicationId: 'app_1', createdBy: 'usr_1', scopes: [], roles: [] },
    applicationStatus: 'active',
    applicationCreatedBy: 'usr_1',
    creatorDeleted: false,
  }) as unknown as KeyVerificationRecord;

function keyCache() {
  const rows = new Map<string, KeyVerificationRecord>([['h1', keyRecord(1)]]);
  let clock = 1_000;
  let loads = 0;
  const cache = new VerificationCache({
    load: async (h) => {
      loads++;
      const r = rows.get(h);
      return r && structuredClone(r);
    },
    now: () => clock,
    maxEntries: 10,
    ttlMs: 30_000,
    maxNegative: 10,
    negativeTtlMs: 10_000,
  });
  return { cache, rows, loads: () => loads, tick: (ms: number) => (clock += ms) };
}

describe('VerificationCache.setTtlBound', () => {
  it('shortens entries already held, positive and negative, and new ones, until lifted', async () => {
    const s = keyCache();
    await s.cache.lookup('h1');
    await s.cache.lookup('missing');
    s.tick(5_000);
    s.cache.setTtlBound(1000);
    s.tick(999);
    expect(s.cache.peek('h1')).not.toBeUndefined();
    expect(s.cache.peek('missing')).toBeNull();
    s.tick(2);
    expect(s.cache.peek('h1')).toBeUndefined();
    expect(s.cache.peek('missing')).toBeUndefined();
    await s.cache.lookup('h1'); // stored under the bound
    s.tick(1001);
    expect(s.cache.peek('h1')).toBeUndefined();
    s.cache.setTtlBound(undefined);
    await s.cache.lookup('h1');
    s.tick(20_000);
    expect(s.cache.peek('h1')).not.toBeUndefined();
    expect(s.loads()).toBe(4);
  });

  it('never lengthens an entry that expires sooner than the bound', async () => {
    const s = keyCache();
    await s.cache.lookup('h1');
    s.tick(29_900);
    s.cache.setTtlBound(1000);
    s.tick(101);
    expect(s.cache.peek('h1')).toBeUndefined();
  });
});

describe('DeviceSigningCache.setTtlBound', () => {
  it('shortens entries already held and new ones, until lifted', async () => {
    const rows = new Map<string, DeviceSigningRecord>([
      ['d1', { device: { id: 'd1', accountId: 'acc_1', lastUsedAt: null }, sealedSecret: 's' } as unknown as DeviceSigningRecord],
    ]);
    let clock = 0;
    const cache = new DeviceSigningCache({
      load: async (id) => rows.get(id),
      now: () => clock,
      maxEntries: 10,
      ttlMs: 30_000,
      negativeTtlMs: 10_000,
    });
    await cache.lookup('d1');
    await cache.lookup('d2');
    cache.setTtlBound(500);
    clock += 499;
    await cache.lookup('d1');
    await cache.lookup('d2');
    expect(cache.stats()).toMatchObject({ loads: 2, hits: 2 });
    clock += 2;
    await cache.lookup('d1');
    await cache.lookup('d2');
    expect(cache.stats().loads).toBe(4);
    clock += 501;
    await cache.lookup('d1');
    expect(cache.stats().loads).toBe(5);
    cache.setTtlBound(undefined);
    await cache.lookup('d1');
    clock += 20_000;
    await cache.lookup('d1');
    expect(cache.stats().loads).toBe(6);
  });
});
