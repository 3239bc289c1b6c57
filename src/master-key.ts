import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from './config.js';
import { MASTER_KEY_BYTES } from './crypto/secret-box.js';

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
  mkdirSync(dirname(path), { recursive: true });
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

/**
 * The master key sealing device secrets: KEYWARD_MASTER_KEY when set, else
 * `<dataDir>/master.key`, generated (mode 0600) on first start.
 */
export function loadMasterKey(config: Pick<Config, 'dataDir' | 'masterKey'>): { key: Buffer; source: 'env' | 'file' } {
  if (config.masterKey !== undefined && config.masterKey !== '') {
    return { key: parseMasterKey(config.masterKey, 'KEYWARD_MASTER_KEY'), source: 'env' };
  }
  const path = masterKeyPath(config);
  if (!existsSync(path)) {
    try {
      writeKeyFile(path, generateMasterKeyText());
    } catch (e) {
      // Another process started at the same moment and won the race: use its key.
      if (!existsSync(path)) throw e;
    }
  }
  return { key: readKeyFile(path), source: 'file' };
}
