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

/**
 * A flush writes a few hundred keys per transaction (issue #15: one commit of thousands of random
 * rows stalled requests). A transaction that fails puts back only the uses it did not write: the
 * keys of committed transactions are in the store and must not be counted again.
 */
describe('UsageRecorder flush in several transactions', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-usage-tx-'));
    store = openStore(`sqlite:${join(dir, 'k.db')}`);
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a failed transaction puts back only what was not committed: nothing is counted twice', async () => {
    let calls = 0;
    const failing: Store = {
      ...store,
      transaction: async (fn) => {
        calls++;
        if (calls === 2) throw new Error('database went away');
        return store.transaction(fn);
      },
    };
    // Keys that do not exist in the store: the flush writes nothing for them, but every
    // transaction still runs, so the split is visible in what is put back.
    const usage = new UsageRecorder(failing, 60_000, 2);
    for (const k of ['a', 'b', 'c', 'd', 'e']) usage.record(`key_${k}`, 1_000);
    await expect(usage.flush()).rejects.toThrow('database went away');
    expect(usage.flushFailures).toBe(1);
    // The first transaction (2 keys) committed; the failed one and the one after it come back.
    expect(usage.pendingKeys).toBe(3);
    expect(usage.pendingLastUsed('key_a')).toBeNull();
    expect(usage.pendingLastUsed('key_c')).toBe(1_000);
    expect(usage.pendingLastUsed('key_e')).toBe(1_000);
    await usage.flush();
    expect(usage.pendingKeys).toBe(0);
    // 1 + 1 failed + 2 for the three keys left: one transaction per two keys.
    expect(calls).toBe(4);
  });
});

/**
 * On SQLite the flush's statements run through `Store.writeNow` (no Kysely per statement), inside
 * the flush's transaction: what they change is rolled back with it. test/api/usage.test.ts checks
 * the counts themselves on SQLite and PostgreSQL.
 */
describe('UsageRecorder on SQLite: statements through writeNow', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-usage-now-'));
    store = openStore(`sqlite:${join(dir, 'k.db')}`);
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs one statement per key (the key is gone: no bucket row), inside the transaction', async () => {
    const calls: string[] = [];
    const writeNow = store.writeNow;
    expect(writeNow).toBeDefined();
    const counted: Store = {
      ...store,
      writeNow: (text, params) => {
        calls.push(text.trimStart().slice(0, 6).toLowerCase());
        return writeNow?.(text, params) ?? -1;
      },
    };
    const usage = new UsageRecorder(counted, 60_000);
    usage.record('key_gone_1', 1_000);
    usage.record('key_gone_2', 1_000);
    await usage.flush();
    // Two keys that do not exist: their UPDATE changes no row, so no bucket is written.
    expect(calls).toEqual(['update', 'update']);
    const rows = await store.db.selectFrom('key_usage').select('key_id').execute();
    expect(rows).toEqual([]);
  });

  it('a statement that fails fails the flush, and its uses come back', async () => {
    const failing: Store = {
      ...store,
      writeNow: () => {
        throw new Error('disk I/O error');
      },
    };
    const usage = new UsageRecorder(failing, 60_000);
    usage.record('key_io', 2_000);
    await expect(usage.flush()).rejects.toThrow('disk I/O error');
    expect(usage.pendingLastUsed('key_io')).toBe(2_000);
    expect(usage.pendingKeys).toBe(1);
  });
});
