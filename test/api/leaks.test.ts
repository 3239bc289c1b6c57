import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webhookConfigFrom } from '../../src/config.js';
import { generateKey, hashSecret } from '../../src/core/key-format.js';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { type Receiver, startReceiver } from '../webhook-receiver.js';

/** Issue 14: the leaked-key intake, in GitHub's secret-scanning partner format, signed with a test ECDSA P-256 key pair. */
const github = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const KEY_ID = 'test-key-identifier-1';
const SCANNER_TOKEN = 'kwlr_scanner-token-for-tests-0123456789';

const signed = (body: string, key = github.privateKey) => ({
  'github-public-key-identifier': KEY_ID,
  'github-public-key-signature': sign('sha256', Buffer.from(body), key).toString('base64'),
});

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`leaked-key intake [${dialect.name}]`, () => {
    let h: Harness;
    let t: Tenant;
    let rx: Receiver;

    beforeAll(async () => {
      h = await createHarness(dialect, {
        webhooks: webhookConfigFrom({ KEYWARD_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1', KEYWARD_WEBHOOK_POLL_MS: '20' }),
        leaks: {
          githubKeys: [{ keyIdentifier: KEY_ID, key: github.publicKey.export({ type: 'spki', format: 'pem' }).toString() }],
          reporterTokenHashes: [hashSecret(SCANNER_TOKEN)],
        },
      });
    });
    afterAll(async () => h?.close());
    afterEach(async () => rx?.close());

    const verify = async (key: string) => (await h.call('POST', '/v1/keys/verify', { body: { key } })).body;

    it('a GitHub report revokes the key, answers in the feedback format, audits and sends key.leaked', async () => {
      rx = await startReceiver();
      t = await h.tenant();
      const ep = await h.call('POST', `/v1/accounts/${t.accountId}/webhooks`, {
        token: t.adminToken,
        body: { url: rx.url, eventTypes: ['key.leaked', 'key.revoked'] },
      });
      rx.setSecret(ep.body.secret);
      const k = await appWithKey(h, t, t.adminToken);
      const unknown = generateKey();
      const items = [
        { token: k.key, type: 'keyward_access_key', url: 'https://github.com/o/r/blob/abc/config.js', source: 'content' },
        { token: unknown, type: 'keyward_access_key', url: '', source: 'commit' },
        { token: 'kw_not-a-real-key', type: 'keyward_access_key', url: '', source: 'content' },
      ];
      const body = JSON.stringify(items);
      const res = await h.call('POST', '/v1/leaks', { body: items, headers: signed(body) });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual([
        { token_hash: hashSecret(k.key), token_type: 'keyward_access_key', label: 'true_positive' },
        { token_hash: hashSecret(unknown), token_type: 'keyward_access_key', label: 'false_positive' },
        { token_hash: hashSecret('kw_not-a-real-key'), token_type: 'keyward_access_key', label: 'false_positive' },
      ]);
      expect(JSON.stringify(res.body)).not.toContain(k.key);
      expect((await verify(k.key)).code).toBe('REVOKED');

      await rx.waitFor((list) => list.length >= 2);
      const types = rx.received.map((r) => r.verified?.type).sort();
      expect(types).toEqual(['key.leaked', 'key.revoked']);
      const leaked = rx.received.find((r) => r.verified?.type === 'key.leaked')?.verified?.data;
      expect(leaked).toMatchObject({ key: { id: k.keyId, status: 'revoked' }, source: 'content', policy: 'revoke' });
      for (const r of rx.received) expect(r.body).not.toContain(k.key);
      const audit = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
      expect(audit.body.events.find((e: any) => e.action === 'key.leak')).toMatchObject({
        targetId: k.keyId,
        details: { reporter: 'github', policy: 'revoke' },
      });

      // Key reads show when it was reported (from that audit event); other keys stay null.
      const leakEvent = audit.body.events.find((e: any) => e.action === 'key.leak');
      const other = await appWithKey(h, t, t.adminToken);
      const got = await h.call('GET', `/v1/accounts/${t.accountId}/keys/${k.keyId}`, { token: t.adminToken });
      expect(got.body.leakedAt).toBe(leakEvent.createdAt);
      const list = await h.call('GET', `/v1/accounts/${t.accountId}/keys?include=revoked`, { token: t.adminToken });
      const byId = new Map(list.body.keys.map((x: any) => [x.id, x.leakedAt]));
      expect(byId.get(k.keyId)).toBe(leakEvent.createdAt);
      expect(byId.get(other.keyId)).toBeNull();
      const appKeys = await h.call('GET', `/v1/accounts/${t.accountId}/applications/${k.applicationId}/keys?include=revoked`, {
        token: t.adminToken,
      });
      expect(appKeys.body.keys.find((x: any) => x.id === k.keyId).leakedAt).toBe(leakEvent.createdAt);
      // A stranger's account does not see it through its own key list.
      const t2 = await h.tenant();
      expect((await h.call('GET', `/v1/accounts/${t2.accountId}/keys/${k.keyId}`, { token: t2.adminToken })).status).toBe(404);

      // Reported again: still a true positive, nothing more to do; leakedAt moves to the newer report.
      const again = await h.call('POST', '/v1/leaks', { body: items.slice(0, 1), headers: signed(JSON.stringify(items.slice(0, 1))) });
      expect(again.body[0].label).toBe('true_positive');
      const after = await h.call('GET', `/v1/accounts/${t.accountId}/keys/${k.keyId}`, { token: t.adminToken });
      expect(after.body.leakedAt).toBeGreaterThanOrEqual(leakEvent.createdAt);
    });

    it('refuses a bad or missing signature (401) and changes nothing', async () => {
      t = await h.tenant();
      const k = await appWithKey(h, t, t.adminToken);
      const items = [{ token: k.key, type: 'keyward_access_key', url: '', source: 'content' }];
      const body = JSON.stringify(items);
      const cases: [Record<string, string>, string][] = [
        [signed(body, stranger.privateKey), 'INVALID_SIGNATURE'],
        [signed(`${body} `), 'INVALID_SIGNATURE'],
        [{ ...signed(body), 'github-public-key-identifier': 'other-key' }, 'INVALID_SIGNATURE'],
        [{ 'github-public-key-signature': 'AAAA' }, 'INVALID_SIGNATURE'],
        [{}, 'UNAUTHORIZED'],
        [{ authorization: 'Bearer kwlr_wrong-token-0123456789abcdef' }, 'UNAUTHORIZED'],
      ];
      for (const [headers, code] of cases) {
        const res = await h.call('POST', '/v1/leaks', { body: items, headers });
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe(code);
      }
      expect((await verify(k.key)).code).toBe('VALID');
    });

    it("a scanner's token works too, and the account's policy decides: rotate with overlap, or notify", async () => {
      t = await h.tenant();
      const scanner = { authorization: `Bearer ${SCANNER_TOKEN}` };
      const report = (token: string) => h.call('POST', '/v1/leaks', { body: [{ token, type: 'kw', url: null }], headers: scanner });

      expect((await h.call('GET', `/v1/accounts/${t.accountId}/leak-policy`, { token: t.adminToken })).body).toEqual({
        mode: 'revoke',
        overlapSeconds: 0,
      });
      const bad = await h.call('PUT', `/v1/accounts/${t.accountId}/leak-policy`, {
        token: t.adminToken,
        body: { mode: 'notify', overlapSeconds: 60 },
      });
      expect(bad.status).toBe(400);
      const set = await h.call('PUT', `/v1/accounts/${t.accountId}/leak-policy`, {
        token: t.adminToken,
        body: { mode: 'rotate', overlapSeconds: 3600 },
      });
      expect(set.body).toEqual({ mode: 'rotate', overlapSeconds: 3600 });
      const k = await appWithKey(h, t, t.adminToken);
      const before = Date.now();
      expect((await report(k.key)).body[0].label).toBe('true_positive');
      const v = await verify(k.key);
      expect(v.code).toBe('VALID');
      expect(v.expiresAt).toBeGreaterThanOrEqual(before + 3600_000);
      expect(v.expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);

      await h.call('PUT', `/v1/accounts/${t.accountId}/leak-policy`, { token: t.adminToken, body: { mode: 'notify', overlapSeconds: 0 } });
      const k2 = await appWithKey(h, t, t.adminToken);
      expect((await report(k2.key)).body[0].label).toBe('true_positive');
      expect(await verify(k2.key)).toMatchObject({ code: 'VALID', expiresAt: null });
      const audit = await h.call('GET', `/v1/accounts/${t.accountId}/audit`, { token: t.adminToken });
      const actions = audit.body.events.map((e: any) => e.action);
      expect(actions.filter((a: string) => a === 'key.leak').length).toBe(2);
      expect(actions).toContain('leak_policy.update');
    });
  });
}
