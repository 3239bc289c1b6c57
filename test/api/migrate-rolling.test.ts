import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore, type StoreLogger } from '../../src/store/store.js';
import { DIALECTS } from '../harness.js';

/**
 * A rolling upgrade (docs/deploy.md): the new version's `keyward migrate` runs while nodes of the
 * previous version keep serving, and one of those may restart (a crash, systemd) before it is
 * upgraded. Kysely refuses to migrate a database holding migrations it was not given; since
 * migrations are additive, the previous version starts on the newer schema instead, and says so.
 * Anything else that looks like a foreign migration still stops the start.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`migrate with newer migrations applied [${dialect.name}]`, () => {
    const withDb = async (fn: (url: string) => Promise<void>) => {
      const db = await dialect.create();
      try {
        await fn(db.url);
      } finally {
        await db.drop();
      }
    };
    const open = (url: string, warnings: string[] = []) => {
      const log: StoreLogger = { warn: (_o, msg) => warnings.push(msg), info: () => {} };
      return openStore(url, { log });
    };
    const addApplied = async (url: string, name: string) => {
      const store = open(url);
      try {
        expect(await store.migrate()).toContain('0001-initial');
        await sql`insert into kysely_migration (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(store.db);
      } finally {
        await store.close();
      }
    };

    it('a migration newer than every known one: the previous version starts without migrating, and warns', async () => {
      await withDb(async (url) => {
        await addApplied(url, '9999-from-the-next-version');
        const warnings: string[] = [];
        const store = open(url, warnings);
        try {
          expect(await store.migrate()).toEqual([]);
          expect(warnings.join('\n')).toContain('9999-from-the-next-version');
          await store.ping();
        } finally {
          await store.close();
        }
      });
    });

    it('an unknown migration sorting among the known ones still stops the start', async () => {
      await withDb(async (url) => {
        await addApplied(url, '0001a-not-ours');
        const store = open(url);
        try {
          await expect(store.migrate()).rejects.toThrow(/0001a-not-ours is missing/);
        } finally {
          await store.close();
        }
      });
    });
  });
}
