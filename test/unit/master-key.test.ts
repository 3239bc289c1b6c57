import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMasterKey, masterKeyPath } from '../../src/master-key.js';

describe('master key loading', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'keyward-mk-'));
    dirs.push(d);
    return join(d, 'data');
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('generates a 0600 key file under the data directory on first start, then reuses it', () => {
    const dir = dataDir();
    const first = loadMasterKey({ dataDir: dir, masterKey: undefined });
    expect(first.source).toBe('file');
    expect(statSync(masterKeyPath({ dataDir: dir })).mode & 0o777).toBe(0o600);
    expect(readFileSync(masterKeyPath({ dataDir: dir }), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(loadMasterKey({ dataDir: dir, masterKey: undefined }).key.equals(first.key)).toBe(true);
  });

  it('prefers KEYWARD_MASTER_KEY and rejects a malformed one', () => {
    const hex = 'a1'.repeat(32);
    const dir = dataDir();
    const loaded = loadMasterKey({ dataDir: dir, masterKey: hex });
    expect(loaded).toEqual({ key: Buffer.from(hex, 'hex'), source: 'env' });
    expect(loadMasterKey({ dataDir: dir, masterKey: Buffer.from(hex, 'hex').toString('base64') }).key.toString('hex')).toBe(hex);
    for (const bad of ['short', 'a1'.repeat(31), 'zz'.repeat(32)]) {
      expect(() => loadMasterKey({ dataDir: dir, masterKey: bad })).toThrow(/KEYWARD_MASTER_KEY/);
    }
  });

  it('refuses a key file others can read', () => {
    const dir = dataDir();
    loadMasterKey({ dataDir: dir, masterKey: undefined });
    const path = masterKeyPath({ dataDir: dir });
    writeFileSync(path, `${'b2'.repeat(32)}\n`, { mode: 0o644 });
    chmodSync(path, 0o644);
    expect(() => loadMasterKey({ dataDir: dir, masterKey: undefined })).toThrow(/chmod 600/);
  });
});
