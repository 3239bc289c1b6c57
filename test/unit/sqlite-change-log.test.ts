import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteChangeLogBus } from '../../src/store/dialect/sqlite/change-log-bus.js';
import type { MessageBus } from '../../src/store/store.js';
import { openStore } from '../../src/store/store.js';

/**
 * The change log that relays cache invalidations between processes sharing one SQLite file:
 * two connections to a real file stand for two processes. Short timings so that pruning and
 * a reader falling behind the retention happen within the test.
 */
describe('SQLite change log bus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-changelog-'));
  const file = join(dir, 'keyward.db');
  const timing = { pollMs: 10, retentionMs: 300, pruneEveryMs: 20 };
  let writerDb: Database.Database;
  let readerDb: Database.Database;
  let writerKysely: Kysely<any>;
  let writer: MessageBus;
  let reader: MessageBus;
  const events: string[] = [];
  const received: string[] = [];

  const until = async (ok: () => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    return ok();
  };
  const rows = () => writerDb.prepare('select id, payload from change_log order by id').all() as { id: number; payload: string }[];

  beforeAll(async () => {
    const store = openStore(`sqlite:${file}`);
    await store.migrate();
    await store.close();
    writerDb = new Database(file);
    readerDb = new Database(file);
    writerKysely = new Kysely({ dialect: new SqliteDialect({ database: writerDb }) });
    writer = sqliteChangeLogBus(writerKysely, timing);
    reader = sqliteChangeLogBus(new Kysely({ dialect: new SqliteDialect({ database: readerDb }) }), timing);
    await writer.publish('before the reader listened');
    reader.listen({
      up: () => events.push('up'),
      down: () => events.push('down'),
      message: (text) => received.push(text),
    });
  });
  afterAll(async () => {
    await reader?.close();
    await writer?.close();
    writerDb?.close();
    readerDb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a listener starts after what was already written and receives every later message once, in order', async () => {
    expect(await until(() => events.includes('up'))).toBe(true);
    for (let i = 0; i < 700; i++) await writer.publish(`m${i}`);
    // A bound, not a timing: 700 commits and their reads take seconds when CI runs suites side by side.
    expect(await until(() => received.length >= 700, 20_000)).toBe(true);
    expect(received).toEqual(Array.from({ length: 700 }, (_, i) => `m${i}`));
  });

  it('a message published while another transaction is open on the connection is not part of it (it survives a rollback)', async () => {
    let published: Promise<void> | undefined;
    const rolledBack = await writerKysely
      .transaction()
      .execute(async (tx) => {
        await tx.selectFrom('change_log').select('id').limit(1).execute();
        published = writer.publish('during a transaction');
        await new Promise((r) => setTimeout(r, 30));
        throw new Error('rollback');
      })
      .catch((e: Error) => e.message);
    expect(rolledBack).toBe('rollback');
    await published;
    expect(rows().at(-1)?.payload).toBe('during a transaction');
    expect(await until(() => received.at(-1) === 'during a transaction')).toBe(true);
  });

  it('old rows are pruned but the newest, so ids keep growing and nothing new is missed', async () => {
    const newest = rows().at(-1)?.id as number;
    // The listening bus prunes, every pruneEveryMs.
    expect(await until(() => rows().length === 1, 5000)).toBe(true);
    expect(rows()[0]?.id).toBe(newest);
    await writer.publish('after pruning');
    expect(rows().at(-1)?.id).toBe(newest + 1);
    expect(await until(() => received.at(-1) === 'after pruning')).toBe(true);
  });

  it('a reader that fell behind the retention says it was down and is up again (its caches get cleared)', async () => {
    const before = events.length;
    const stalledUntil = Date.now() + timing.retentionMs;
    while (Date.now() < stalledUntil) {
      // The event loop is stuck: no read for longer than half the retention.
    }
    expect(await until(() => events.length >= before + 2)).toBe(true);
    expect(events.slice(before, before + 2)).toEqual(['down', 'up']);
    await writer.publish('after the stall');
    expect(await until(() => received.at(-1) === 'after the stall')).toBe(true);
  });
});
