import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';

const mode = (path: string) => statSync(path).mode & 0o777;

/** Issue #10 item 13: the SQLite files hold password and key hashes and sealed secrets. */
describe.skipIf(process.platform === 'win32')('SQLite files are created readable by their owner only', () => {
  const root = mkdtempSync(join(tmpdir(), 'keyward-modes-'));
  let umask: number;
  beforeAll(() => {
    // The usual umask, which leaves new files world-readable unless Keyward says otherwise.
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  it('a new data folder is 0700 and the database, -wal and -shm files are 0600', async () => {
    const dir = join(root, 'new', 'data');
    const db = join(dir, 'keyward.db');
    const store = openStore(`sqlite:${db}`);
    try {
      await store.migrate();
      await store.db.deleteFrom('sessions').execute();
      expect(mode(dir)).toBe(0o700);
      for (const path of [db, `${db}-wal`, `${db}-shm`]) {
        expect(existsSync(path), path).toBe(true);
        expect(mode(path).toString(8), path).toBe('600');
      }
    } finally {
      await store.close();
    }
  });

  it("an existing folder and database keep the operator's modes", async () => {
    const dir = join(root, 'existing');
    mkdirSync(dir);
    chmodSync(dir, 0o750);
    const db = join(dir, 'keyward.db');
    writeFileSync(db, '');
    chmodSync(db, 0o640);
    const store = openStore(`sqlite:${db}`);
    try {
      await store.migrate();
      expect(mode(dir)).toBe(0o750);
      expect(mode(db)).toBe(0o640);
    } finally {
      await store.close();
    }
  });
});
