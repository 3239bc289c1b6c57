import { describe, expect, it } from 'vitest';
import { DeviceSigningCache } from '../../src/cache/device-cache.js';
import { SigningKeyCache, type SigningKeySource } from '../../src/cache/signing-key-cache.js';
import type { DeviceSigningRecord } from '../../src/store/repos/devices.js';

const DAY = 86_400_000;
const D0 = Date.UTC(2026, 10, 26); // 20261126
const src = (deviceId: string, accountId = 'acc_1', sealed = `sealed-${deviceId}`, secretSource = 'own'): SigningKeySource => ({
  deviceId,
  accountId,
  secretSource,
  sealed,
});
const key = (n: number) => Buffer.alloc(32, n);

describe('SigningKeyCache', () => {
  it('serves a stored key for the same device, sealed secret, secret source and signDate only', () => {
    const c = new SigningKeyCache({ maxEntries: 10 });
    c.store(src('d1'), '20261126', D0, key(1), c.epoch, D0);
    expect(c.get(src('d1'), '20261126', D0 + 1000)).toEqual(key(1));
    expect(c.get(src('d1'), '20261125', D0 + 1000)).toBeUndefined();
    expect(c.get(src('d2'), '20261126', D0 + 1000)).toBeUndefined();
    // Another sealed secret (a reset seals anew) or source: never the old key, even without an invalidation.
    expect(c.get(src('d1', 'acc_1', 'sealed-new'), '20261126', D0 + 1000)).toBeUndefined();
    expect(c.get(src('d1', 'acc_1', 'sealed-d1', 'shared'), '20261126', D0 + 1000)).toBeUndefined();
    expect(c.stats()).toMatchObject({ hits: 1, misses: 4, size: 1, keys: 1 });
  });

  it('a key derived from a newer sealed secret replaces the device’s old keys', () => {
    const c = new SigningKeyCache({ maxEntries: 10 });
    const old = key(1);
    c.store(src('d1'), '20261126', D0, old, c.epoch, D0);
    c.store(src('d1', 'acc_1', 'sealed-new'), '20261126', D0, key(2), c.epoch, D0);
    expect(c.get(src('d1', 'acc_1', 'sealed-new'), '20261126', D0)).toEqual(key(2));
    expect(c.get(src('d1'), '20261126', D0)).toBeUndefined();
    expect(old.equals(Buffer.alloc(32))).toBe(true); // overwritten, not left for the collector
    expect(c.stats()).toMatchObject({ size: 1, keys: 1 });
  });

  it('device and account changes drop keys at once; key, application and user changes drop none; others clear all', () => {
    const c = new SigningKeyCache({ maxEntries: 10 });
    const fill = () => {
      for (const [id, acc] of [
        ['d1', 'acc_1'],
        ['d2', 'acc_1'],
        ['d3', 'acc_2'],
      ] as const)
        c.store(src(id, acc), '20261126', D0, key(1), c.epoch, D0);
    };
    fill();
    c.invalidate({ type: 'key', keyId: 'key_1' });
    c.invalidate({ type: 'application', applicationId: 'app_1' });
    c.invalidate({ type: 'user', userId: 'usr_1' });
    expect(c.stats().size).toBe(3);
    c.invalidate({ type: 'device', deviceId: 'd3' });
    expect(c.get(src('d3', 'acc_2'), '20261126', D0)).toBeUndefined();
    expect(c.stats().size).toBe(2);
    c.invalidate({ type: 'account', accountId: 'acc_1' });
    expect(c.get(src('d1'), '20261126', D0)).toBeUndefined();
    expect(c.get(src('d2'), '20261126', D0)).toBeUndefined();
    expect(c.stats().size).toBe(0);
    fill();
    c.invalidate({ type: 'something-new' } as never);
    expect(c.stats().size).toBe(0);
  });

  it('regression: a key derived from a record read before a reset is not stored', () => {
    const c = new SigningKeyCache({ maxEntries: 10 });
    const before = c.epoch; // taken before the device record is read
    c.invalidate({ type: 'device', deviceId: 'd1' }); // the reset returns while the read is in flight
    c.store(src('d1'), '20261126', D0, key(1), before, D0);
    expect(c.get(src('d1'), '20261126', D0)).toBeUndefined();
    // Any device's change counts: the epoch is the cache's, not the device's.
    const again = c.epoch;
    c.invalidate({ type: 'account', accountId: 'acc_9' });
    c.store(src('d1'), '20261126', D0, key(1), again, D0);
    expect(c.stats().size).toBe(0);
    c.store(src('d1'), '20261126', D0, key(1), c.epoch, D0);
    expect(c.stats().size).toBe(1);
  });

  it('day rollover: a signDate’s key serves for its 7 days, the next day’s key is kept beside it, stale ones go', () => {
    const c = new SigningKeyCache({ maxEntries: 10 });
    c.store(src('d1'), '20261126', D0, key(1), c.epoch, D0 + 10);
    // Past midnight the device signs with the new date: both keys kept.
    c.store(src('d1'), '20261127', D0 + DAY, key(2), c.epoch, D0 + DAY + 10);
    expect(c.get(src('d1'), '20261126', D0 + DAY + 20)).toEqual(key(1));
    expect(c.get(src('d1'), '20261127', D0 + DAY + 20)).toEqual(key(2));
    // The last instant of the first signDate's validity, then just after it.
    expect(c.get(src('d1'), '20261126', D0 + 7 * DAY - 1)).toEqual(key(1));
    expect(c.get(src('d1'), '20261126', D0 + 7 * DAY)).toBeUndefined();
    // The next store drops the key no longer usable.
    c.store(src('d1'), '20261203', D0 + 7 * DAY, key(3), c.epoch, D0 + 7 * DAY);
    expect(c.stats().keys).toBe(2);
    // At most 8 signDates per device.
    for (let i = 0; i < 12; i++) c.store(src('d1'), `2026120${i % 10}x${i}`, D0 + 7 * DAY, key(10 + i), c.epoch, D0 + 7 * DAY);
    expect(c.stats().keys).toBe(8);
  });

  it('stays within its bound by second-chance eviction, and keeps recently used devices', () => {
    const c = new SigningKeyCache({ maxEntries: 3 });
    for (const id of ['d1', 'd2', 'd3']) c.store(src(id), '20261126', D0, key(1), c.epoch, D0);
    expect(c.get(src('d1'), '20261126', D0)).toBeDefined(); // d1 used: d2 is the victim
    c.store(src('d4'), '20261126', D0, key(1), c.epoch, D0);
    expect(c.stats()).toMatchObject({ size: 3, evictions: 1 });
    expect(c.get(src('d2'), '20261126', D0)).toBeUndefined();
    expect(c.get(src('d1'), '20261126', D0)).toBeDefined();
    const off = new SigningKeyCache({ maxEntries: 0 });
    off.store(src('d1'), '20261126', D0, key(1), off.epoch, D0);
    expect(off.stats().size).toBe(0);
  });
});

describe('DeviceSigningCache forwards to its signing keys', () => {
  const record = (id: string, accountId = 'acc_1'): DeviceSigningRecord =>
    ({ device: { id, accountId, lastUsedAt: null }, sealedSecret: `sealed-${id}` }) as unknown as DeviceSigningRecord;

  it('drops a device’s keys with its entry, an account’s with its devices, and all on clear', async () => {
    const devices = new DeviceSigningCache({
      load: async (id) => record(id),
      now: () => D0,
      maxEntries: 10,
      ttlMs: 1000,
      negativeTtlMs: 100,
    });
    const keys = devices.signingKeys;
    const fill = () => {
      for (const [id, acc] of [
        ['d1', 'acc_1'],
        ['d2', 'acc_2'],
      ] as const)
        keys.store(src(id, acc), '20261126', D0, key(1), keys.epoch, D0);
    };
    fill();
    devices.invalidate({ type: 'device', deviceId: 'd1' });
    expect(keys.get(src('d1'), '20261126', D0)).toBeUndefined();
    expect(keys.get(src('d2', 'acc_2'), '20261126', D0)).toBeDefined();
    devices.invalidate({ type: 'account', accountId: 'acc_2' });
    expect(keys.stats().size).toBe(0);
    fill();
    devices.clear();
    expect(keys.stats().size).toBe(0);
  });
});
