import { AUDIT_ACTIONS } from '../core/audit-actions.js';
import { newId } from '../core/ids.js';
import { type SecretBox, sealedWith, secretAad } from '../crypto/secret-box.js';
import type { SealedSecrets } from '../master-key.js';
import { insertAuditEvent } from '../store/repos/audit.js';
import { countDeviceSecretsByKey, listSealedDeviceSecrets, resealDeviceSecret } from '../store/repos/devices.js';
import { countSharedSecretsByKey, listSealedSharedSecrets, resealSharedSecret } from '../store/repos/shared-secrets.js';
import { countWebhookSecretsByKey, listSealedWebhookSecrets, resealWebhookSecret } from '../store/repos/webhooks.js';
import type { Db, Store } from '../store/store.js';

/** Every sealed secret (device own secrets, shared secrets, webhook signing secrets), counted by the master key id stored beside it. */
export async function countSealedSecrets(db: Db): Promise<SealedSecrets> {
  const counts = new Map<string | null, number>();
  for (const r of [
    ...(await countDeviceSecretsByKey(db)),
    ...(await countSharedSecretsByKey(db)),
    ...(await countWebhookSecretsByKey(db)),
  ]) {
    counts.set(r.keyId, (counts.get(r.keyId) ?? 0) + r.count);
  }
  return [...counts].map(([keyId, count]) => ({ keyId, count }));
}

/**
 * Re-encrypts every stored secret from one master key to another in a single transaction:
 * either all rows move or none do, and each row's stored key id moves with it. Rows already
 * under the new key are left alone, so a rotation interrupted after its commit can simply be
 * run again.
 */
export async function resealAllSecrets(
  store: Store,
  from: SecretBox,
  to: SecretBox,
  now: number,
): Promise<{ devices: number; sharedSecrets: number; webhookSecrets: number }> {
  return store.transaction(async (tx) => {
    let devices = 0;
    for (const d of await listSealedDeviceSecrets(tx)) {
      if (sealedWith(d.sealed) === to.fingerprint) continue;
      const aad = secretAad.device(d.id);
      await resealDeviceSecret(tx, d.id, to.seal(from.open(d.sealed, aad), aad));
      devices++;
    }
    let sharedSecrets = 0;
    for (const s of await listSealedSharedSecrets(tx)) {
      if (sealedWith(s.sealed) === to.fingerprint) continue;
      const aad = secretAad.sharedSecret(s.accountId);
      await resealSharedSecret(tx, s.accountId, to.seal(from.open(s.sealed, aad), aad));
      sharedSecrets++;
    }
    let webhookSecrets = 0;
    for (const w of await listSealedWebhookSecrets(tx)) {
      if (sealedWith(w.sealed) === to.fingerprint) continue;
      const aad = secretAad.webhook(w.id);
      await resealWebhookSecret(tx, w.id, to.seal(from.open(w.sealed, aad), aad));
      webhookSecrets++;
    }
    await insertAuditEvent(tx, {
      id: newId('audit'),
      accountId: null,
      actorId: null,
      action: 'master_key.rotate',
      targetType: AUDIT_ACTIONS['master_key.rotate'],
      targetId: to.fingerprint,
      ip: 'cli',
      createdAt: now,
      details: { from: from.fingerprint, to: to.fingerprint, devices, sharedSecrets, webhookSecrets },
    });
    return { devices, sharedSecrets, webhookSecrets };
  });
}
