import { describe, expect, it } from 'vitest';
import { VerificationCache, type VerificationCacheOptions } from '../../src/cache/verification-cache.js';
import type { AccessKey } from '../../src/core/model.js';
import type { KeyVerificationRecord } from '../../src/store/repos/keys.js';

function record(n: number, over: Partial<AccessKey> = {}): KeyVerificationRecord {
  return {
    key: {
      id: `key_${n}`,
      accountId: 'acc_1',
      applicationId: `app_${n % 2}`,
      kind: 'application',
      name: 'k',
      description: '',
      start: 'kw_abc',
      scopes: ['a'],
      roles: [],
      status: 'active',
      expiresAt: null,
      createdBy: `usr_${n % 3}`,
      createdAt: 0,
      updatedAt: 0,
      revokedAt: null,
      lastUsedAt: null,
      usageCount: 0,
      ratelimits: [],
      quota: null,
      ...over,
    } as AccessKey,
    applicationStatus: 'active',
    applicationCreatedBy: `usr_owner${n % 2}`,
    creatorDeleted: false,
    account: { ratelimits: [], quota: null, plan: null },
  };
}

/** A table of records behind a lookup that counts its calls (the "store reads"). */
function setup(over: Partial<VerificationCacheOptions> = {}) {
  const rows = new Map<string, KeyVerificationRecord>();
  let clock = 1_000;
  const calls: string[] = [];
  const cache = new VerificationCache({
    load: async (h) => {
      calls.push(h);
      const r = rows.get(h);
      return r && structuredClone(r);
    },
    now: () => clock,
    maxEntries: 100,
    ttlMs: 30_000,
    maxNegative: 100,
    negativeTtlMs: 5_000,
    ...over,
  });
  return {
    cache,
    rows,
    calls,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('VerificationCache', () => {
  it('serves repeated lookups from memory and returns frozen records', async () => {
    const s = setup();
    s.rows.set('h1', record(1));
    const first = await s.cache.lookup('h1');
    const second = await s.cache.lookup('h1');
    expect(second).toBe(first);
    expect(s.calls).toEqual(['h1']);
    expect(Object.isFrozen(first?.key.scopes)).toBe(true);
  });

  it('reloads a positive entry once its TTL has passed (injected clock)', async () => {
    const s = setup();
    s.rows.set('h1', record(1));
    await s.cache.lookup('h1');
    s.advance(29_999);
    await s.cache.lookup('h1');
    expect(s.calls).toHaveLength(1);
    s.advance(1);
    await s.cache.lookup('h1');
    expect(s.calls).toHaveLength(2);
  });

  it('caches unknown hashes for the negative TTL only', async () => {
    const s = setup();
    expect(await s.cache.lookup('nope')).toBeUndefined();
    expect(await s.cache.lookup('nope')).toBeUndefined();
    expect(s.calls).toHaveLength(1);
    s.advance(5_000);
    await s.cache.lookup('nope');
    expect(s.calls).toHaveLength(2);
  });

  it('a key change carrying the hash clears its negative entry', async () => {
    const s = setup();
    await s.cache.lookup('h9');
    s.rows.set('h9', record(9));
    s.cache.invalidate({ type: 'key', keyId: 'key_9', keyHash: 'h9' });
    expect((await s.cache.lookup('h9'))?.key.id).toBe('key_9');
  });

  it('keeps at most maxEntries positive entries, evicting the least recently used', async () => {
    const s = setup({ maxEntries: 3 });
    for (let i = 0; i < 4; i++) s.rows.set(`h${i}`, record(i));
    await s.cache.lookup('h0');
    await s.cache.lookup('h1');
    await s.cache.lookup('h2');
    await s.cache.lookup('h0'); // h1 is now the least recently used
    await s.cache.lookup('h3');
    expect(s.cache.stats()).toMatchObject({ size: 3, evictions: 1 });
    s.calls.length = 0;
    await s.cache.lookup('h0');
    await s.cache.lookup('h2');
    await s.cache.lookup('h3');
    expect(s.calls).toEqual([]);
    await s.cache.lookup('h1');
    expect(s.calls).toEqual(['h1']);
  });

  it('keeps at most maxNegative negative entries', async () => {
    const s = setup({ maxNegative: 5 });
    for (let i = 0; i < 50; i++) await s.cache.lookup(`x${i}`);
    expect(s.cache.stats().negativeSize).toBe(5);
  });

  it('drops entries by key, application, user and account', async () => {
    const s = setup();
    for (let i = 0; i < 6; i++) s.rows.set(`h${i}`, record(i));
    const loadAll = async () => {
      for (let i = 0; i < 6; i++) await s.cache.lookup(`h${i}`);
    };
    await loadAll();
    expect(s.cache.stats().size).toBe(6);
    s.cache.invalidate({ type: 'key', keyId: 'key_4' });
    expect(s.cache.stats().size).toBe(5);
    s.cache.invalidate({ type: 'application', applicationId: 'app_1' }); // keys 1, 3, 5
    expect(s.cache.stats().size).toBe(2);
    await loadAll();
    s.cache.invalidate({ type: 'user', userId: 'usr_0' }); // keys 0, 3
    expect(s.cache.stats().size).toBe(4);
    s.cache.invalidate({ type: 'account', accountId: 'acc_1' });
    expect(s.cache.stats().size).toBe(0);
  });

  // Regression (issue 10, item 8): deleting a user dropped only the keys that user created, so
  // keys others created in the deleted user's application stayed cached as VALID.
  it("a user change drops the keys in that user's applications, whoever created them", async () => {
    const s = setup();
    for (let i = 0; i < 6; i++) s.rows.set(`h${i}`, record(i));
    for (let i = 0; i < 6; i++) await s.cache.lookup(`h${i}`);
    s.cache.invalidate({ type: 'user', userId: 'usr_owner1' }); // keys 1, 3, 5 (app_1), created by usr_1, usr_0, usr_2
    expect(s.cache.stats().size).toBe(3);
    for (const i of [0, 2, 4]) expect(s.cache.peek(`h${i}`)).not.toBeUndefined();
    for (const i of [1, 3, 5]) expect(s.cache.peek(`h${i}`)).toBeUndefined();
    // The creator index is cleaned when entries go, whichever index removed them.
    s.cache.invalidate({ type: 'key', keyId: 'key_0' });
    s.cache.invalidate({ type: 'user', userId: 'usr_owner0' }); // keys 2, 4
    expect(s.cache.stats().size).toBe(0);
  });

  it('an unknown change kind clears everything', async () => {
    const s = setup();
    s.rows.set('h1', record(1));
    await s.cache.lookup('h1');
    await s.cache.lookup('unknown');
    s.cache.invalidate({ type: 'webhook', id: 'x' } as never);
    expect(s.cache.stats()).toMatchObject({ size: 0, negativeSize: 0 });
  });

  it('a device secret change keeps every cached key record', async () => {
    const s = setup();
    s.rows.set('h1', record(1));
    await s.cache.lookup('h1');
    s.cache.invalidate({ type: 'device', deviceId: 'dev_1' });
    expect(s.cache.stats().size).toBe(1);
  });

  it('regression: a lookup in flight during a revoke neither fills the cache nor serves later callers', async () => {
    const rows = new Map([['h1', record(1)]]);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let loads = 0;
    const cache = new VerificationCache({
      load: async (h) => {
        loads++;
        const snapshot = structuredClone(rows.get(h));
        if (loads === 1) await gate; // the first read saw the row before the revoke committed
        return snapshot;
      },
      now: () => 0,
      maxEntries: 10,
      ttlMs: 30_000,
      maxNegative: 10,
      negativeTtlMs: 5_000,
    });
    const early = cache.lookup('h1');
    rows.set('h1', record(1, { status: 'revoked' }));
    cache.invalidate({ type: 'key', keyId: 'key_1' });
    const late = cache.lookup('h1');
    release();
    expect((await early)?.key.status).toBe('active');
    expect((await late)?.key.status).toBe('revoked');
    expect((await cache.lookup('h1'))?.key.status).toBe('revoked');
  });

  it('concurrent misses for one hash share a single store read', async () => {
    const s = setup();
    s.rows.set('h1', record(1));
    await Promise.all([s.cache.lookup('h1'), s.cache.lookup('h1'), s.cache.lookup('h1')]);
    expect(s.calls).toHaveLength(1);
  });

  it('maxEntries 0 disables caching', async () => {
    const s = setup({ maxEntries: 0 });
    s.rows.set('h1', record(1));
    await s.cache.lookup('h1');
    await s.cache.lookup('h1');
    expect(s.calls).toHaveLength(2);
  });
});

describe('VerificationCache.peek', () => {
  it('answers hits and negative hits without a store read, and undefined for the unknown', async () => {
    let loads = 0;
    const rows = new Map<string, unknown>([['h1', { key: { id: 'k1' } }]]);
    const cache = new VerificationCache({
      load: async (h) => {
        loads++;
        return rows.get(h) as never;
      },
      now: () => 0,
      maxEntries: 10,
      ttlMs: 1000,
      maxNegative: 10,
      negativeTtlMs: 1000,
    });
    expect(cache.peek('h1')).toBeUndefined();
    expect(cache.peek('nope')).toBeUndefined();
    expect(loads).toBe(0);
    await cache.lookup('h1');
    await cache.lookup('nope');
    expect(loads).toBe(2);
    expect(cache.peek('h1')).toEqual({ key: { id: 'k1' } });
    expect(cache.peek('nope')).toBeNull();
    expect(loads).toBe(2);
  });
});

describe('VerificationCache with a synchronous read (loadNow)', () => {
  function withNow(answer: (h: string) => KeyVerificationRecord | null | undefined) {
    const nowCalls: string[] = [];
    const s = setup({
      loadNow: (h) => {
        nowCalls.push(h);
        return answer(h);
      },
    });
    return { ...s, nowCalls };
  }

  it('stores what the synchronous read answers, found or not, and never calls the asynchronous read then', async () => {
    const r1 = record(1);
    const s = withNow((h) => (h === 'h1' ? r1 : null));
    expect(await s.cache.lookup('h1')).toBe(r1);
    expect(await s.cache.lookup('h1')).toBe(r1);
    expect(await s.cache.lookup('nope')).toBeUndefined();
    expect(await s.cache.lookup('nope')).toBeUndefined();
    expect(s.nowCalls).toEqual(['h1', 'nope']);
    expect(s.calls).toEqual([]);
    expect(s.cache.stats()).toMatchObject({ loads: 2, size: 1, negativeSize: 1 });
    expect(Object.isFrozen(r1.key)).toBe(true);
  });

  it('falls back to the asynchronous read when the synchronous one cannot answer (undefined)', async () => {
    const s = withNow(() => undefined);
    s.rows.set('h1', record(1));
    expect((await s.cache.lookup('h1'))?.key.id).toBe('key_1');
    expect(s.nowCalls).toEqual(['h1']);
    expect(s.calls).toEqual(['h1']);
    expect(s.cache.stats().loads).toBe(1);
  });

  it('a change drops an entry the synchronous read stored, and the next lookup reads again', async () => {
    let current = record(1);
    const s = withNow(() => current);
    expect((await s.cache.lookup('h1'))?.key.status).toBe('active');
    current = record(1, { status: 'revoked', revokedAt: 5 });
    // Not yet told: the cached record stands (the store's change is published after its commit).
    expect((await s.cache.lookup('h1'))?.key.status).toBe('active');
    s.cache.invalidate({ type: 'key', keyId: 'key_1' });
    expect((await s.cache.lookup('h1'))?.key.status).toBe('revoked');
    expect(s.nowCalls).toEqual(['h1', 'h1']);
  });

  it('a lookup joins an asynchronous read already in flight rather than reading again', async () => {
    let answerNow = false;
    const s = withNow(() => (answerNow ? record(2) : undefined));
    s.rows.set('h1', record(1));
    const first = s.cache.lookup('h1');
    answerNow = true;
    const second = s.cache.lookup('h1');
    expect(second).toBe(first);
    expect((await second)?.key.id).toBe('key_1');
    expect(s.calls).toEqual(['h1']);
  });
});
