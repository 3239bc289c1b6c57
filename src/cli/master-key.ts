import { loadCheckedMasterKey } from '../compose.js';
import type { Config } from '../config.js';
import { SecretBox } from '../crypto/secret-box.js';
import { generateMasterKeyText, type LoadedMasterKey, masterKeyPath, readKeyFile, writeKeyFile } from '../master-key.js';
import { resealAllSecrets } from '../service/master-key.js';
import { openStore } from '../store/store.js';

/** `keyward master-key generate --out <path>`: a fresh key in a new 0600 file. */
export function generateKeyFile(path: string): { keyFile: string; fingerprint: string } {
  const text = generateMasterKeyText();
  writeKeyFile(path, text);
  return { keyFile: path, fingerprint: new SecretBox(Buffer.from(text, 'hex')).fingerprint };
}

/**
 * `keyward master-key rotate --new-key-file <path>`: re-encrypts every secret under the new
 * key in one transaction, then installs the new key where the old one was loaded from
 * (the data-dir key file; with KEYWARD_MASTER_KEY the operator must update the variable).
 * Stop every Keyward node first: a node still holding the old key cannot open the new rows.
 */
export async function rotateMasterKey(config: Config, newKeyFile: string) {
  const newKey = readKeyFile(newKeyFile);
  const to = new SecretBox(newKey);
  const store = openStore(config.databaseUrl);
  let counts: { devices: number; sharedSecrets: number; webhookSecrets: number };
  let current: LoadedMasterKey;
  let from: SecretBox;
  try {
    await store.migrate();
    // The same check as a start: the current key must be the one the stored secrets need.
    current = await loadCheckedMasterKey(store, config);
    from = new SecretBox(current.key);
    if (from.fingerprint === to.fingerprint) throw new Error(`${newKeyFile} holds the key already in use (${to.fingerprint}).`);
    counts = await resealAllSecrets(store, from, to, Date.now());
  } finally {
    await store.close();
  }
  const installed = current.source === 'file' ? masterKeyPath(config) : null;
  if (installed) writeKeyFile(installed, newKey.toString('hex'), { replace: true });
  return {
    from: from.fingerprint,
    to: to.fingerprint,
    ...counts,
    keyFile: installed,
    next: installed
      ? `The new key is installed in ${installed}. Start Keyward again.`
      : `Set KEYWARD_MASTER_KEY to the content of ${newKeyFile} on every node, then start Keyward again.`,
  };
}
