import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../src/crypto/secret-box.js';
import { loadMasterKey, masterKeyPath, type SealedSecrets } from '../../src/master-key.js';

const NONE: SealedSecrets = [];

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
    const first = loadMasterKey({ dataDir: dir, masterKey: undefined }, NONE);
    expect(first.source).toBe('file');
    expect(statSync(masterKeyPath({ dataDir: dir })).mode & 0o777).toBe(0o600);
    // The data folder it had to create is its owner's only (as with a PostgreSQL store, where SQLite makes none).
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(masterKeyPath({ dataDir: dir }), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(loadMasterKey({ dataDir: dir, masterKey: undefined }, NONE).key.equals(first.key)).toBe(true);
  });

  it('prefers KEYWARD_MASTER_KEY and rejects a malformed one', () => {
    const hex = 'a1'.repeat(32);
    const dir = dataDir();
    const loaded = loadMasterKey({ dataDir: dir, masterKey: hex }, NONE);
    expect(loaded).toMatchObject({ key: Buffer.from(hex, 'hex'), source: 'env', keyId: keyFingerprint(Buffer.from(hex, 'hex')) });
    expect(loadMasterKey({ dataDir: dir, masterKey: Buffer.from(hex, 'hex').toString('base64') }, NONE).key.toString('hex')).toBe(hex);
    for (const bad of ['short', 'a1'.repeat(31), 'zz'.repeat(32)]) {
      expect(() => loadMasterKey({ dataDir: dir, masterKey: bad }, NONE)).toThrow(/KEYWARD_MASTER_KEY/);
    }
  });

  it('refuses a key file others can read', () => {
    const dir = dataDir();
    loadMasterKey({ dataDir: dir, masterKey: undefined }, NONE);
    const path = masterKeyPath({ dataDir: dir });
    writeFileSync(path, `${'b2'.repeat(32)}\n`, { mode: 0o644 });
    chmodSync(path, 0o644);
    expect(() => loadMasterKey({ dataDir: dir, masterKey: undefined }, NONE)).toThrow(/chmod 600/);
  });

  // Regression (issue 10, item 6): a missing key file was silently replaced by a new key, after
  // which every device verification failed with 500.
  it('never generates a key while sealed secrets exist; says which key is needed and where it is looked for', () => {
    const dir = dataDir();
    const sealed: SealedSecrets = [{ keyId: '1a2b3c4d', count: 3 }];
    expect(() => loadMasterKey({ dataDir: dir, masterKey: undefined }, sealed)).toThrow(
      /3 secrets sealed under master key 1a2b3c4d.*KEYWARD_MASTER_KEY is not set.*master\.key does not exist.*Restore that key/s,
    );
    expect(existsSync(masterKeyPath({ dataDir: dir }))).toBe(false);
    // Unrecorded key ids still count as sealed secrets: no key is generated for them either.
    expect(() => loadMasterKey({ dataDir: dir, masterKey: undefined }, [{ keyId: null, count: 1 }])).toThrow(/unrecorded master key/);
    expect(existsSync(masterKeyPath({ dataDir: dir }))).toBe(false);
  });

  it('refuses a configured key that is not the one the secrets were sealed with', () => {
    const dir = dataDir();
    const right = Buffer.from('c3'.repeat(32), 'hex');
    const sealed: SealedSecrets = [{ keyId: keyFingerprint(right), count: 2 }];
    const wrongHex = 'd4'.repeat(32);
    expect(() => loadMasterKey({ dataDir: dir, masterKey: wrongHex }, sealed)).toThrow(
      new RegExp(
        `sealed under master key ${keyFingerprint(right)}, but the master key in KEYWARD_MASTER_KEY is ${keyFingerprint(Buffer.from(wrongHex, 'hex'))}`,
      ),
    );
    mkdirSync(dir, { recursive: true });
    writeFileSync(masterKeyPath({ dataDir: dir }), `${wrongHex}\n`, { mode: 0o600 });
    expect(() => loadMasterKey({ dataDir: dir, masterKey: undefined }, sealed)).toThrow(/but the master key in .*master\.key is/);
    const ok = loadMasterKey({ dataDir: dir, masterKey: right.toString('hex') }, sealed);
    expect(ok.foreign).toEqual({ keyIds: [], count: 0 });
  });

  it('starts with the key that sealed some secrets, and reports the ones another key sealed', () => {
    const dir = dataDir();
    const key = Buffer.from('e5'.repeat(32), 'hex');
    const loaded = loadMasterKey({ dataDir: dir, masterKey: key.toString('hex') }, [
      { keyId: keyFingerprint(key), count: 5 },
      { keyId: '0badc0de', count: 2 },
      { keyId: null, count: 1 },
    ]);
    expect(loaded.foreign).toEqual({ keyIds: ['0badc0de'], count: 2 });
  });
});
