import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from './config.js';
import { keyFingerprint, MASTER_KEY_BYTES } from './crypto/secret-box.js';

export const MASTER_KEY_FILE = 'master.key';

export function masterKeyPath(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, MASTER_KEY_FILE);
}

/** A master key as text: 64 hex characters, or base64 of 32 bytes. */
export function parseMasterKey(text: string, source: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== MASTER_KEY_BYTES || (!/^[0-9a-fA-F]{64}$/.test(t) && key.toString('base64') !== t)) {
    throw new Error(`${source} must hold a 256-bit key: 64 hex characters or 44 base64 characters.`);
  }
  return key;
}

export function generateMasterKeyText(): string {
  return randomBytes(MASTER_KEY_BYTES).toString('hex');
}

/**
 * Writes a key file readable by its owner only. A new file is created exclusively, so two
 * nodes starting together cannot both generate one; a replacement goes through a rename so
 * a crash never leaves half a key.
 */
export function writeKeyFile(path: string, keyText: string, opts: { replace?: boolean } = {}): void {
  // A folder made here (e.g. the data dir of a PostgreSQL deployment) is its owner's only, as SQLite's is.
  if (mkdirSync(dirname(path), { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dirname(path), 0o700);
  const target = opts.replace ? `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp` : path;
  writeFileSync(target, `${keyText}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(target, 0o600);
  if (opts.replace) renameSync(target, path);
}

export function readKeyFile(path: string): Buffer {
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new Error(`${path} is readable by others (mode ${mode.toString(8)}): run chmod 600 ${path}.`);
  }
  return parseMasterKey(readFileSync(path, 'utf8'), path);
}

/** Sealed secrets in the store, counted by the id of the master key that sealed them (null: not recorded). */
export type SealedSecrets = readonly { keyId: string | null; count: number }[];

export interface LoadedMasterKey {
  key: Buffer;
  source: 'env' | 'file';
  /** The key's id (fingerprint), as stored beside every secret it seals. */
  keyId: string;
  /** Secrets recorded as sealed under other keys: they cannot be opened with this one. */
  foreign: { keyIds: string[]; count: number };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function sealedUnder(ids: readonly string[]): string {
  if (ids.length === 0) return 'an unrecorded master key';
  return ids.length === 1 ? `master key ${ids[0]}` : `master keys ${ids.join(', ')}`;
}

/**
 * The master key sealing device secrets: KEYWARD_MASTER_KEY when set, else
 * `<dataDir>/master.key`. A key is generated (mode 0600) only while the store holds no sealed
 * secret: a new key could not open existing ones, so a missing or different key stops the start
 * with the id of the key the secrets need and how to restore it, instead of breaking every
 * device later.
 */
export function loadMasterKey(config: Pick<Config, 'dataDir' | 'masterKey'>, sealed: SealedSecrets): LoadedMasterKey {
  const total = sealed.reduce((n, s) => n + s.count, 0);
  const needed = [...new Set(sealed.flatMap((s) => (s.keyId === null ? [] : [s.keyId])))].sort();
  const path = masterKeyPath(config);
  const lookedFor = `Keyward reads the master key from KEYWARD_MASTER_KEY when it is set, else from ${path}.`;
  let loaded: { key: Buffer; source: 'env' | 'file' };
  if (config.masterKey !== undefined && config.masterKey !== '') {
    loaded = { key: parseMasterKey(config.masterKey, 'KEYWARD_MASTER_KEY'), source: 'env' };
  } else if (existsSync(path)) {
    loaded = { key: readKeyFile(path), source: 'file' };
  } else if (total > 0) {
    throw new Error(
      `Refusing to start: the store holds ${plural(total, 'secret')} sealed under ${sealedUnder(needed)}, but no master key was found: ` +
        `KEYWARD_MASTER_KEY is not set and ${path} does not exist. ${lookedFor} ` +
        `Restore that key from your backup, to ${path} (mode 0600) or as KEYWARD_MASTER_KEY, and start again. ` +
        'No new key is generated while sealed secrets exist, since it could not open them (docs/devices.md, "Lost master key").',
    );
  } else {
    try {
      writeKeyFile(path, generateMasterKeyText());
    } catch (e) {
      // Another process started at the same moment and won the race: use its key.
      if (!existsSync(path)) throw e;
    }
    loaded = { key: readKeyFile(path), source: 'file' };
  }
  const keyId = keyFingerprint(loaded.key);
  if (needed.length > 0 && !needed.includes(keyId)) {
    const from = loaded.source === 'env' ? 'KEYWARD_MASTER_KEY' : path;
    throw new Error(
      `Refusing to start: the store holds ${plural(total, 'secret')} sealed under ${sealedUnder(needed)}, but the master key in ${from} is ${keyId}. ` +
        `${lookedFor} Put the key ${needed.join(' or ')} there (restore it from your backup) and start again; ` +
        'to move to a new key, start with the old one and run `keyward master-key rotate` (docs/devices.md).',
    );
  }
  const foreign = sealed.filter((s) => s.keyId !== null && s.keyId !== keyId);
  return {
    ...loaded,
    keyId,
    foreign: { keyIds: foreign.map((s) => s.keyId as string).sort(), count: foreign.reduce((n, s) => n + s.count, 0) },
  };
}
