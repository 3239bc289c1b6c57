import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WalCheckpointer } from '../../src/store/dialect/sqlite/checkpointer.js';
import { openStore, type Store } from '../../src/store/store.js';

/**
 * Checkpoints of a SQLite file run on a worker thread (issue #15, cold keys): the writing
 * connection's automatic checkpoint is only a high fallback, so a COMMIT never copies the WAL
 * back and fsyncs on the event loop. Counts and file contents, never timings.
 */
describe('WAL checkpoints on a worker thread', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-ckpt-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('copies committed frames back into the database file, and closes', async () => {
    const path = join(dir, 'plain.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('create table t (id integer primary key, v text)');
    const errors: unknown[] = [];
    const ck = new WalCheckpointer(path, (e) => errors.push(e), 20);
    const insert = db.prepare('insert into t (v) values (?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run('x'.repeat(200));
    })();
    const before = statSync(path).size;
    const deadline = Date.now() + 10_000;
    while ((ck.last === undefined || ck.last.checkpointed < ck.last.log) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ck.runs).toBeGreaterThan(0);
    expect(ck.last?.checkpointed).toBe(ck.last?.log);
    // The rows are in the database file itself now, not only in the WAL.
    expect(statSync(path).size).toBeGreaterThan(before + 2000 * 200);
    await ck.close();
    expect(errors).toEqual([]);
    expect((db.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(2000);
    db.close();
  });

  it('a store on a file keeps its own automatic checkpoint only as a high fallback', async () => {
    const store: Store = openStore(`sqlite:${join(dir, 'store.db')}`);
    try {
      await store.migrate();
      const pages = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
      expect(pages.rows[0]?.wal_autocheckpoint).toBeGreaterThan(1000);
    } finally {
      await store.close();
    }
  });

  it('closing a store lets a process end: an awaited close() is not left unsettled by the worker', () => {
    const script = join(dir, 'close.mts');
    const storeModule = pathToFileURL(resolve(import.meta.dirname, '../../src/store/store.ts')).href;
    writeFileSync(
      script,
      `import { openStore } from ${JSON.stringify(storeModule)};
const store = openStore(${JSON.stringify(`sqlite:${join(dir, 'exit.db')}`)});
await store.migrate();
await store.close();
console.log('closed');
`,
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout.trim()).toBe('closed');
    // 13: the event loop emptied while the top-level await of close() was pending.
    expect(run.status).toBe(0);
  });
});
