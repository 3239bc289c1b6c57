import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint, SecretBox, secretAad } from '../../src/crypto/secret-box.js';
import { generateMasterKeyText, masterKeyPath } from '../../src/master-key.js';
import { createKeyward } from '../../src/server.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/store.js';
import { createHarness, DIALECTS, type Harness } from '../harness.js';
import { createDevice, sharedSecret, signedCheck } from '../signing.js';

/**
 * Regression (issue 10, item 6): a lost master key was silently replaced by a new one at start,
 * after which every device verification answered 500.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`master key at start [${dialect.name}]`, () => {
    let h: Harness;
    let keyText: string;
    beforeAll(async () => {
      h = await createHarness(dialect);
      const t = await h.tenant();
      await createDevice(h, t);
      await createDevice(h, t, { useSharedSecret: true });
      keyText = readFileSync(masterKeyPath(h.config), 'utf8');
    });
    afterAll(async () => h?.close());

    it('a fresh store gets a generated key, and every sealed secret records its id', async () => {
      expect(keyText.trim()).toMatch(/^[0-9a-f]{64}$/);
      const id = h.kw.ctx.secrets.fingerprint;
      expect(id).toBe(keyFingerprint(Buffer.from(keyText.trim(), 'hex')));
      const db = h.kw.ctx.store.db;
      const devices = await db.selectFrom('devices').select('master_key_id').where('secret_enc', 'is not', null).execute();
      const shared = await db.selectFrom('account_shared_secrets').select('master_key_id').execute();
      expect(devices.map((r) => r.master_key_id)).toEqual([id]);
      expect(shared.map((r) => r.master_key_id)).toEqual([id]);
    });

    it('refuses to start without the key file, says which key and where, and writes no new key', async () => {
      const path = masterKeyPath(h.config);
      const id = h.kw.ctx.secrets.fingerprint;
      rmSync(path);
      try {
        const start = createKeyward(h.config);
        await expect(start).rejects.toThrow(`sealed under master key ${id}`);
        await expect(start).rejects.toThrow(/KEYWARD_MASTER_KEY is not set/);
        await expect(start).rejects.toThrow(path);
        await expect(start).rejects.toThrow(/Restore that key from your backup/);
        expect(existsSync(path)).toBe(false);
      } finally {
        writeFileSync(path, keyText, { mode: 0o600 });
      }
      // With the key restored, it starts again.
      const again = await createKeyward(h.config);
      expect(again.ctx.secrets.fingerprint).toBe(id);
      await again.close();
    });

    it('refuses another key in KEYWARD_MASTER_KEY, naming both ids', async () => {
      const other = generateMasterKeyText();
      const start = createKeyward({ ...h.config, masterKey: other });
      await expect(start).rejects.toThrow(
        `sealed under master key ${h.kw.ctx.secrets.fingerprint}, but the master key in KEYWARD_MASTER_KEY is ${keyFingerprint(Buffer.from(other, 'hex'))}`,
      );
      // The right key in the variable is accepted, whatever the file holds.
      const ok = await createKeyward({ ...h.config, masterKey: keyText.trim() });
      await ok.close();
    });
  });

  describe.skipIf(!dialect.enabled)(`unopenable device secrets never give a 5xx [${dialect.name}]`, () => {
    let h: Harness;
    const logged: { details: Record<string, unknown>; message: string }[] = [];
    beforeAll(async () => {
      h = await createHarness(dialect);
      h.kw.ctx.log = { error: (details, message) => logged.push({ details, message }) };
    });
    afterAll(async () => h?.close());

    const authorize = (check: ReturnType<typeof signedCheck>) =>
      h.call('GET', '/v1/authorize', {
        headers: {
          authorization: check.authorization,
          'x-bcot-timestamp': check.timestamp,
          'x-original-method': check.method,
          'x-original-uri': check.path,
          'x-original-host': check.host,
          'x-content-sha256': check.bodyHash,
        },
      });

    it('a damaged own secret answers SECRET_UNAVAILABLE (200 valid:false, authorize 401) and is logged without the secret', async () => {
      const t = await h.tenant();
      const d = await createDevice(h, t);
      const secret = d.secret as string;
      expect((await h.call('POST', '/v1/signatures/verify', { body: signedCheck(d.id, secret) })).body.code).toBe('VALID');
      const db = h.kw.ctx.store.db;
      const row = await db.selectFrom('devices').select('secret_enc').where('id', '=', d.id).executeTakeFirstOrThrow();
      const sealed = row.secret_enc as string;
      const damaged = `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'BB' : 'AA'}`;
      await db.updateTable('devices').set({ secret_enc: damaged }).where('id', '=', d.id).execute();
      h.kw.ctx.changes.publish({ type: 'device', deviceId: d.id });

      const res = await h.call('POST', '/v1/signatures/verify', { body: signedCheck(d.id, secret) });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ valid: false, code: 'SECRET_UNAVAILABLE', deviceId: null, accountId: null });
      const denied = await authorize(signedCheck(d.id, secret, { path: '/integration/device/status' }));
      expect(denied.status).toBe(401);
      expect(denied.body.error.code).toBe('SECRET_UNAVAILABLE');
      expect(denied.headers['x-keyward-error']).toBe('SECRET_UNAVAILABLE');

      const entry = logged.find((l) => l.details.deviceId === d.id);
      expect(entry?.details).toMatchObject({ deviceId: d.id, accountId: t.accountId, loadedMasterKey: h.kw.ctx.secrets.fingerprint });
      expect(JSON.stringify(logged)).not.toContain(secret);
      expect(JSON.stringify(logged)).not.toContain(damaged);
    });

    it('a secret sealed under another master key, and a shared secret that is not an envelope, answer the same', async () => {
      const t = await h.tenant();
      const own = await createDevice(h, t);
      const shared = await createDevice(h, t, { useSharedSecret: true });
      const sharedText = await sharedSecret(h, t);
      const db = h.kw.ctx.store.db;
      const foreign = new SecretBox(Buffer.from(generateMasterKeyText(), 'hex'));
      await db
        .updateTable('devices')
        .set({ secret_enc: foreign.seal(own.secret as string, secretAad.device(own.id)), master_key_id: foreign.fingerprint })
        .where('id', '=', own.id)
        .execute();
      await db.updateTable('account_shared_secrets').set({ secret_enc: 'garbage' }).where('account_id', '=', t.accountId).execute();
      h.kw.ctx.changes.publish({ type: 'account', accountId: t.accountId });

      for (const [id, secret] of [
        [own.id, own.secret as string],
        [shared.id, sharedText],
      ] as const) {
        const res = await h.call('POST', '/v1/signatures/verify', { body: signedCheck(id, secret) });
        expect([res.status, res.body.code]).toEqual([200, 'SECRET_UNAVAILABLE']);
      }
      // The admin's view of an unreadable shared secret is a 409 that says what to do, not a 500,
      // and is not audited as a view (nothing was shown).
      const auditBefore = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
      const view = await h.call('GET', `/v1/accounts/${t.accountId}/shared-secret`, { token: t.adminToken });
      expect(view.status).toBe(409);
      expect(view.body.error.code).toBe('SHARED_SECRET_UNREADABLE');
      expect(view.body.error.message).toMatch(/reset the shared secret/);
      const auditAfter = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
      expect(auditAfter.body.events.length).toBe(auditBefore.body.events.length);
      expect(logged.some((l) => l.details.accountId === t.accountId && /shared secret cannot be opened/.test(l.message))).toBe(true);
      // Resetting it is the way out: afterwards the view works again.
      const reset = await h.call('POST', `/v1/accounts/${t.accountId}/shared-secret/reset`, {
        token: t.adminToken,
        body: { confirm: 'Yes, I do confirm it' },
      });
      expect(reset.status).toBe(200);
      expect((await h.call('GET', `/v1/accounts/${t.accountId}/shared-secret`, { token: t.adminToken })).body.secret).toMatch(
        /^[0-9a-f]{128}$/,
      );
      // A start with the right key for most rows but one row under another key still starts.
      const restarted = await createKeyward(h.config);
      await restarted.close();
    });
  });

  describe.skipIf(!dialect.enabled)(`migration 0004 records the key id of existing secrets [${dialect.name}]`, () => {
    it('fills master_key_id from each envelope, and leaves null for what is not one', async () => {
      const db = await dialect.create();
      const store = openStore(db.url);
      try {
        const schema = new URL(db.url).searchParams.get('schema');
        const migrator = new Migrator({
          db: store.db,
          provider: { getMigrations: async () => MIGRATIONS },
          ...(schema !== null && { migrationTableSchema: schema }),
        });
        const before = await migrator.migrateTo('0003-usage');
        expect(before.error).toBeUndefined();
        const box = new SecretBox(Buffer.from(generateMasterKeyText(), 'hex'));
        const raw = store.db as any;
        await raw
          .insertInto('accounts')
          .values({ id: 'acc_1', customer_id: '1', name: 'A', max_applications: 10, max_keys_per_application: 10, created_at: 1 })
          .execute();
        const device = (id: string, secret_enc: string | null) => ({
          id,
          account_id: 'acc_1',
          name: 'd',
          status: 'active',
          secret_enc,
          created_at: 1,
          updated_at: 1,
          secret_updated_at: 1,
        });
        await raw
          .insertInto('devices')
          .values([device('dev_1', box.seal('s', 'device:dev_1')), device('dev_2', null), device('dev_3', 'not-an-envelope')])
          .execute();
        await raw
          .insertInto('account_shared_secrets')
          .values({ account_id: 'acc_1', secret_enc: box.seal('s', 'account:acc_1'), updated_at: 1 })
          .execute();
        expect((await store.migrate())[0]).toBe('0004-master-key-ids');
        const rows = await store.db.selectFrom('devices').select(['id', 'master_key_id']).orderBy('id').execute();
        expect(rows).toEqual([
          { id: 'dev_1', master_key_id: box.fingerprint },
          { id: 'dev_2', master_key_id: null },
          { id: 'dev_3', master_key_id: null },
        ]);
        const shared = await store.db.selectFrom('account_shared_secrets').select('master_key_id').execute();
        expect(shared).toEqual([{ master_key_id: box.fingerprint }]);
      } finally {
        await store.close();
        await db.drop();
      }
    });
  });
}
