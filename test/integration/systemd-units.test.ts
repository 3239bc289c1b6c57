import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The systemd units in examples/ (docs/deploy.md) as `systemd-analyze verify` reads them: it
 * exits 0 on unknown or misspelled settings and only warns, so any warning about them fails here.
 * Skipped where systemd-analyze is missing. ExecStart names this machine's node, since
 * verify checks that the command exists.
 */
const ANALYZE = spawnSync('systemd-analyze', ['--version']).error ? undefined : 'systemd-analyze';
const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

describe.skipIf(!ANALYZE)('systemd units in examples/', () => {
  for (const [file, as] of [
    ['keyward.service', 'keyward.service'],
    ['keyward@.service', 'keyward@8081.service'],
  ] as const) {
    it(`${file} passes systemd-analyze verify without a warning`, () => {
      const unit = readFileSync(join(EXAMPLES, file), 'utf8');
      expect(unit).toContain('ExecStart=/usr/bin/node ');
      for (const setting of [
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'ReadWritePaths=/var/lib/keyward',
        'Restart=on-failure',
        'KillSignal=SIGTERM',
      ]) {
        expect(unit).toContain(setting);
      }
      const dir = mkdtempSync(join(tmpdir(), 'keyward-units-'));
      try {
        writeFileSync(join(dir, as), unit.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
        const r = spawnSync(ANALYZE as string, ['verify', join(dir, as)], { encoding: 'utf8', timeout: 20_000 });
        // Only what concerns this unit: on a machine running systemd, verify also reads the
        // units it refers to, which are not ours to judge.
        const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes(as) || l.includes('keyward'));
        expect(said).toEqual([]);
        expect(r.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
