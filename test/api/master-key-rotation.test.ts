import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyFile, rotateMasterKey } from '../../src/cli/master-key.js';
import { webhookConfigFrom } from '../../src/config.js';
import { SecretBox, sealedWith, secretAad } from '../../src/crypto/secret-box.js';
import { createKeyward } from '../../src/server.js';
import { createHarness, DIALECTS, type Harness } from '../harness.js';
import { createDevice, sharedSecret, signedCheck } from '../signing.js';

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`master key rotation [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect, {
        webhooks: webhookConfigFrom({ KEYWARD_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1', KEYWARD_WEBHOOK_DISPATCH: '0' }),
      });
    });
    afterAll(async () => h?.close());

    it('re-encrypts every secret in one go; signatures keep verifying under the new key', async () => {
      const t = await h.tenant();
      const own = await createDevice(h, t);
      const shared = await createDevice(h, t, { useSharedSecret: true });
      const secret = await sharedSecret(h, t);
      // A webhook signing secret is sealed under the master key too (issue 14).
      const webhook = await h.call('POST', `/v1/accounts/${t.accountId}/webhooks`, {
        token: t.adminToken,
        body: { url: 'http://127.0.0.1:9/hook', eventTypes: ['key.created'] },
      });
      expect(webhook.status).toBe(201);
      const oldFingerprint = h.kw.ctx.secrets.fingerprint;
      const oldKeyText = readFileSync(join(h.config.dataDir, 'master.key'), 'utf8').trim();

      const newKey = generateKeyFile(join(h.config.dataDir, 'new.key'));
      const result = await rotateMasterKey(h.config, newKey.keyFile);
      expect(result).toMatchObject({ from: oldFingerprint, to: newKey.fingerprint, devices: 1, sharedSecrets: 1, webhookSecrets: 1 });
      expect(result.keyFile).toBe(join(h.config.dataDir, 'master.key'));

      const rows = await h.kw.ctx.store.db.selectFrom('devices').select('secret_enc').where('secret_enc', 'is not', null).execute();
      for (const r of rows) expect(sealedWith(r.secret_enc as string)).toBe(newKey.fingerprint);
      // The key id stored beside each secret moves with it, so the next start checks for the new key.
      const db = h.kw.ctx.store.db;
      const ids = [
        ...(await db.selectFrom('devices').select('master_key_id').where('secret_enc', 'is not', null).execute()),
        ...(await db.selectFrom('account_shared_secrets').select('master_key_id').execute()),
        ...(await db.selectFrom('webhook_endpoints').select('master_key_id').execute()),
      ].map((r) => r.master_key_id);
      expect(ids.length).toBeGreaterThanOrEqual(3);
      const sealedWebhook = await db
        .selectFrom('webhook_endpoints')
        .select('secret_enc')
        .where('id', '=', webhook.body.endpoint.id)
        .executeTakeFirstOrThrow();
      const newBox = new SecretBox(Buffer.from(readFileSync(newKey.keyFile, 'utf8').trim(), 'hex'));
      expect(newBox.open(sealedWebhook.secret_enc, secretAad.webhook(webhook.body.endpoint.id))).toBe(webhook.body.secret);
      for (const id of ids) expect(id).toBe(newKey.fingerprint);
      // The old key is now the wrong one: a start with it is refused.
      await expect(createKeyward({ ...h.config, masterKey: oldKeyText })).rejects.toThrow(`sealed under master key ${newKey.fingerprint}`);

      // A restarted node loads the installed key and accepts both devices' signatures.
      const restarted = await createKeyward(h.config);
      try {
        expect(restarted.ctx.secrets.fingerprint).toBe(newKey.fingerprint);
        for (const [id, s] of [
          [own.id, own.secret as string],
          [shared.id, secret],
        ] as const) {
          const res = await restarted.app.inject({ method: 'POST', url: '/v1/signatures/verify', payload: signedCheck(id, s) });
          expect(res.json().code).toBe('VALID');
        }
        // Running it again with the same key is refused rather than double-wrapping anything.
        await expect(rotateMasterKey(h.config, newKey.keyFile)).rejects.toThrow(/already in use/);
      } finally {
        await restarted.close();
      }
    });

    it('with KEYWARD_MASTER_KEY the rows move and the operator is told to update the variable', async () => {
      const current = h.kw.ctx.secrets.fingerprint;
      // Runs after the test above: the data-dir file holds the rotated key; pretend it came from the environment.
      const envKey = readFileSync(join(h.config.dataDir, 'master.key'), 'utf8').trim();
      const next = generateKeyFile(join(h.config.dataDir, 'next.key'));
      const result = await rotateMasterKey({ ...h.config, masterKey: envKey }, next.keyFile);
      expect(result.from).not.toBe(current);
      expect(result.keyFile).toBeNull();
      expect(result.next).toMatch(/KEYWARD_MASTER_KEY/);
      expect(readFileSync(join(h.config.dataDir, 'master.key'), 'utf8').trim()).toBe(envKey);
    });
  });
}
