import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageRecorder } from '../../src/service/usage-recorder.js';
import { openStore, type Store } from '../../src/store/store.js';

/**
 * A use being written by a flush is neither in the recorder's buffer nor yet in the store: it
 * must still count as recent (pendingLastUsed), or a key used a moment ago could be deleted
 * without the recent-use confirmation while a flush is in flight (found under load by
 * test/api/keys-delete.test.ts).
 */
describe('UsageRecorder while a flush is in flight', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-usage-'));
    store = openStore(`sqlite:${join(dir, 'k.db')}`);
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The real store, whose flush transaction waits until the test releases it. */
  function heldStore(fail = false) {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const begun = new Promise<void>((r) => (started = r));
    const wrapped: Store = {
      ...store,
      transaction: async (fn) => {
        started();
        await held;
        if (fail) throw new Error('database went away');
        return store.transaction(fn);
      },
    };
    return { wrapped, release, begun };
  }

  it('reports the last use until the transaction commits, and not after', async () => {
    const { wrapped, release, begun } = heldStore();
    const usage = new UsageRecorder(wrapped, 60_000);
    usage.record('key_inflight', 1_000);
    const flushing = usage.flush();
    await begun;
    expect(usage.pendingKeys).toBe(0);
    expect(usage.pendingLastUsed('key_inflight')).toBe(1_000);
    usage.record('key_inflight', 2_000);
    expect(usage.pendingLastUsed('key_inflight')).toBe(2_000);
    release();
    await flushing;
    // The first use is written; the second is buffered for the next flush.
    expect(usage.pendingLastUsed('key_inflight')).toBe(2_000);
    await usage.close();
    expect(usage.pendingLastUsed('key_inflight')).toBeNull();
  });

  it('a failed flush puts its uses back, still reported', async () => {
    const { wrapped, release, begun } = heldStore(true);
    const usage = new UsageRecorder(wrapped, 60_000);
    usage.record('key_failed', 5_000);
    const flushing = usage.flush();
    await begun;
    expect(usage.pendingLastUsed('key_failed')).toBe(5_000);
    release();
    await expect(flushing).rejects.toThrow('database went away');
    expect(usage.pendingLastUsed('key_failed')).toBe(5_000);
    expect(usage.pendingKeys).toBe(1);
  });
});
