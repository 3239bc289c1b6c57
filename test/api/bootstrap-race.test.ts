import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createKeyward, type Keyward } from '../../src/server.js';
import { countUsers } from '../../src/store/repos/users.js';
import { DIALECTS, OPERATOR } from '../harness.js';

/**
 * Regression (found by test/integration/fleet.test.ts): the nodes of a fleet started at once on
 * an empty store all saw no users and all created the operator; every node but one then failed
 * to start on the unique email. Now one creates it and the others start as if it had been there.
 * PostgreSQL only: that is what several nodes share (several processes on one SQLite file are
 * `keyward serve --workers`, whose primary migrates and bootstraps once before forking).
 */
const postgres = DIALECTS.find((d) => d.name === 'postgres') as (typeof DIALECTS)[number];
describe.skipIf(!postgres.enabled)('nodes starting at once on an empty store [postgres]', () => {
  it('all start, one operator is created, and it can sign in on every node', async () => {
    const db = await postgres.create();
    const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'keyward-boot-')));
    const nodes: Keyward[] = [];
    const boots: string[] = [];
    try {
      const started = await Promise.allSettled(
        dirs.map((dataDir) =>
          createKeyward(
            loadConfig(
              {},
              {
                databaseUrl: db.url,
                dataDir,
                masterKey: 'ab'.repeat(32),
                bootstrapEmail: OPERATOR.email,
                bootstrapPassword: OPERATOR.password,
              },
            ),
            { onBootstrap: (email) => boots.push(email) },
          ),
        ),
      );
      for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
      expect(started.filter((s) => s.status === 'rejected')).toEqual([]);
      expect(boots).toEqual([OPERATOR.email]);
      expect(await countUsers((nodes[0] as Keyward).ctx.store.db)).toBe(1);
      for (const kw of nodes) {
        const res = await kw.app.inject({ method: 'POST', url: '/v1/auth/login', payload: OPERATOR });
        expect(res.statusCode).toBe(200);
      }
    } finally {
      for (const kw of nodes) await kw.close();
      await db.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
