import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Migrator } from 'kysely';
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTION_STYLE, AUDIT_ACTIONS, isAuditAction } from '../../src/core/audit-actions.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/store.js';
import { DIALECTS } from '../harness.js';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('audit actions (issue 13: one closed table, one naming style)', () => {
  it('every action in the table is `noun.verb` in snake_case', () => {
    const names = Object.keys(AUDIT_ACTIONS);
    expect(names.length).toBeGreaterThan(15);
    expect(names.filter((a) => !AUDIT_ACTION_STYLE.test(a))).toEqual([]);
    // The style itself refuses what it is meant to refuse.
    expect(
      ['device.secret.reset', 'Key.create', 'key.Create', 'keyCreate', 'key-create.x'].filter((a) => AUDIT_ACTION_STYLE.test(a)),
    ).toEqual([]);
  });

  it('every `action:` the source writes is in the table', () => {
    const written = sourceFiles(SRC).flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/\baction: '([^']+)'/g)].map((m) => m[1] as string),
    );
    expect(written.length).toBeGreaterThan(15);
    expect(written.filter((a) => !isAuditAction(a))).toEqual([]);
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`migration 0005 renames stored audit actions [${dialect.name}]`, () => {
    it('device.secret.reset becomes device_secret.reset; other actions are left alone', async () => {
      const db = await dialect.create();
      const store = openStore(db.url);
      try {
        const schema = new URL(db.url).searchParams.get('schema');
        const migrator = new Migrator({
          db: store.db,
          provider: { getMigrations: async () => MIGRATIONS },
          ...(schema !== null && { migrationTableSchema: schema }),
        });
        expect((await migrator.migrateTo('0004-master-key-ids')).error).toBeUndefined();
        const event = (id: string, action: string) => ({
          id,
          account_id: null,
          actor_id: null,
          action,
          target_type: 'device',
          target_id: 'dev_1',
          ip: null,
          created_at: 1,
          details: '{}',
        });
        // Rows written before the rename: the typed schema no longer accepts the old name.
        const raw = store.db as any;
        await raw
          .insertInto('audit_events')
          .values([event('aud_1', 'device.secret.reset'), event('aud_2', 'device.update'), event('aud_3', 'device.secret.reset')])
          .execute();
        expect(await store.migrate()).toContain('0005-audit-action-names');
        const rows = await store.db.selectFrom('audit_events').select(['id', 'action']).orderBy('id').execute();
        expect(rows).toEqual([
          { id: 'aud_1', action: 'device_secret.reset' },
          { id: 'aud_2', action: 'device.update' },
          { id: 'aud_3', action: 'device_secret.reset' },
        ]);
      } finally {
        await store.close();
        await db.drop();
      }
    });
  });
}
