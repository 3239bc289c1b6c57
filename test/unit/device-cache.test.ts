import { describe, expect, it } from 'vitest';
import { DeviceSigningCache } from '../../src/cache/device-cache.js';
import type { DeviceSigningRecord } from '../../src/store/repos/devices.js';

const record = (id: string, accountId = 'acc_1'): DeviceSigningRecord =>
  ({ device: { id, accountId, lastUsedAt: null }, sealedSecret: `sealed-${id}` }) as unknown as DeviceSigningRecord;

function setup(opts: { maxEntries?: number } = {}) {
  const rows = new Map<string, DeviceSigningRecord>();
  let clock = 0;
  const cache = new DeviceSigningCache({
    load: async (id) => rows.get(id),
    now: () => clock,
    maxEntries: opts.maxEntries ?? 10,
    ttlMs: 1000,
    negativeTtlMs: 100,
  });
  return { rows, cache, tick: (ms: number) => (clock += ms) };
}

describe('DeviceSigningCache', () => {
  it('serves a device from memory after one read, until its TTL', async () => {
    const s = setup();
    s.rows.set('d1', record('d1'));
    await s.cache.lookup('d1');
    await s.cache.lookup('d1');
    expect(s.cache.stats()).toMatchObject({ loads: 1, hits: 1 });
    s.tick(1001);
    await s.cache.lookup('d1');
    expect(s.cache.stats().loads).toBe(2);
  });

  it('a device change drops that device; an account change drops the account’s devices; key changes drop nothing', async () => {
    const s = setup();
    for (const [id, acc] of [
      ['d1', 'acc_1'],
      ['d2', 'acc_1'],
      ['d3', 'acc_2'],
    ] as const) {
      s.rows.set(id, record(id, acc));
      await s.cache.lookup(id);
    }
    s.cache.invalidate({ type: 'key', keyId: 'key_1' });
    expect(s.cache.stats().size).toBe(3);
    s.cache.invalidate({ type: 'device', deviceId: 'd3' });
    expect(s.cache.stats().size).toBe(2);
    s.cache.invalidate({ type: 'account', accountId: 'acc_1' });
    expect(s.cache.stats().size).toBe(0);
  });

  it('remembers unknown devices briefly, and forgets them when the device is created', async () => {
    const s = setup();
    expect(await s.cache.lookup('d9')).toBeUndefined();
    expect(await s.cache.lookup('d9')).toBeUndefined();
    expect(s.cache.stats().loads).toBe(1);
    s.rows.set('d9', record('d9'));
    s.cache.invalidate({ type: 'device', deviceId: 'd9' });
    expect(await s.cache.lookup('d9')).toBeDefined();
  });

  it('regression: a read in flight during a secret reset is not stored', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const old = record('d1');
    const cache = new DeviceSigningCache({
      load: async () => {
        await gate;
        return old;
      },
      now: () => 0,
      maxEntries: 10,
      ttlMs: 1000,
      negativeTtlMs: 100,
    });
    const pending = cache.lookup('d1');
    cache.invalidate({ type: 'device', deviceId: 'd1' });
    release();
    await pending;
    expect(cache.stats().size).toBe(0);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const s = setup({ maxEntries: 2 });
    for (const id of ['d1', 'd2']) {
      s.rows.set(id, record(id));
      await s.cache.lookup(id);
    }
    await s.cache.lookup('d1');
    s.rows.set('d3', record('d3'));
    await s.cache.lookup('d3');
    expect(s.cache.stats().size).toBe(2);
    const loads = s.cache.stats().loads;
    expect((await s.cache.lookup('d1'))?.device.id).toBe('d1');
    expect(s.cache.stats().loads).toBe(loads);
  });
});
