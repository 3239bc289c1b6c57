import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/store.js';
import { DIALECTS } from '../harness.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'keyward.mjs');

function migrate(url: string, dataDir: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, KEYWARD_DATABASE_URL: url, KEYWARD_DATA_DIR: dataDir };
    const child = spawn(process.execPath, [BIN, 'migrate'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/**
 * Two processes starting on one fresh database at the same moment (two nodes, or a primary
 * racing a `keyward migrate`): Kysely's migration lock lets one migrate while the other waits,
 * so both succeed and each migration is applied once.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`two processes migrating one fresh database at once (${dialect.name})`, () => {
    it('both succeed and every migration is applied exactly once', async () => {
      const db = await dialect.create();
      const dir = mkdtempSync(join(tmpdir(), 'keyward-migrate-'));
      try {
        const [a, b] = await Promise.all([migrate(db.url, dir), migrate(db.url, dir)]);
        expect(a.code, a.out).toBe(0);
        expect(b.code, b.out).toBe(0);
        const applied = [a.out, b.out].flatMap((o) => /Applied: (.*)/.exec(o)?.[1]?.split(', ') ?? []);
        expect(applied.sort()).toEqual(Object.keys(MIGRATIONS).sort());
        const store = openStore(db.url);
        try {
          expect(await store.migrate()).toEqual([]);
        } finally {
          await store.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await db.drop();
      }
    }, 60_000);
  });
}
