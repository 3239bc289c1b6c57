import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookConfigFrom } from '../../src/config.js';
import { createKeyward, type Keyward } from '../../src/server.js';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';
import { type Receiver, startReceiver } from '../webhook-receiver.js';

/**
 * Issue 14: webhook delivery across processes. A `keyward serve` child process and an
 * in-process node dispatch from one database: each event arrives once. Then the child is
 * killed with SIGKILL while a delivery is in flight (the receiver holds the request): another
 * node delivers it after the child's lease runs out, with the same webhook-id, the one
 * duplicate Standard Webhooks allows.
 */
const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const LEASE_MS = 1500;
const ENV = {
  KEYWARD_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1',
  KEYWARD_WEBHOOK_POLL_MS: '20',
  KEYWARD_WEBHOOK_RETRY_BASE_MS: '100',
  KEYWARD_WEBHOOK_LEASE_MS: String(LEASE_MS),
  KEYWARD_WEBHOOK_TIMEOUT_MS: '1000',
};

async function serveChild(h: Harness): Promise<ChildProcess> {
  // node itself with tsx's loader, not the tsx wrapper: SIGKILL must reach the process that delivers
  // (the wrapper would die and leave its child running).
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--port', '0'], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: {
      PATH: process.env.PATH,
      KEYWARD_DATABASE_URL: h.config.databaseUrl,
      KEYWARD_DATA_DIR: h.config.dataDir,
      KEYWARD_LOG_FORMAT: 'json',
      KEYWARD_LOG_LEVEL: 'warn',
      ...ENV,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (/listening/i.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
  });
  return child;
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`webhook delivery across processes [${dialect.name}]`, () => {
    let h: Harness;
    let rx: Receiver;
    let t: Tenant;
    let child: ChildProcess | undefined;
    const nodes: Keyward[] = [];
    const node = async () => {
      const kw = await createKeyward({ ...h.config, webhooks: webhookConfigFrom(ENV) });
      nodes.push(kw);
      return kw;
    };

    beforeAll(async () => {
      // The harness's own node does not dispatch: which node delivers is chosen below.
      h = await createHarness(dialect, { webhooks: { ...webhookConfigFrom(ENV), dispatch: false } });
      rx = await startReceiver();
      t = await h.tenant();
      const ep = await h.call('POST', `/v1/accounts/${t.accountId}/webhooks`, {
        token: t.adminToken,
        body: { url: rx.url, eventTypes: ['key.created'] },
      });
      expect(ep.status).toBe(201);
      rx.setSecret(ep.body.secret);
    });
    afterAll(async () => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.all(nodes.map((n) => n.close()));
      await rx?.close();
      await h?.close();
    });

    it('two processes dispatching: every event delivered exactly once', async () => {
      child = await serveChild(h);
      const b = await node();
      const n = 10;
      const app = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token: t.adminToken, body: { name: 'Many' } });
      for (let i = 0; i < n; i++) {
        const res = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
          token: t.adminToken,
          body: { name: `k${i}`, scopes: [] },
        });
        expect(res.status).toBe(201);
      }
      await rx.waitFor((list) => list.length >= n, 20_000);
      await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show, bounded
      expect(rx.received.length).toBe(n);
      expect(new Set(rx.received.map((r) => r.id)).size).toBe(n);
      expect(rx.received.every((r) => r.verified?.type === 'key.created')).toBe(true);
      await b.close();
      nodes.splice(nodes.indexOf(b), 1);
    });

    it('kill -9 mid-delivery: another node delivers it after the lease, with the same webhook-id', async () => {
      const before = rx.received.length;
      // The next request is held unanswered; later ones are answered.
      rx.answer((_r, count) => (count === before + 1 ? 'hang' : 200));
      const k = await appWithKey(h, t, t.adminToken);
      await rx.waitFor((list) => list.length >= before + 1, 20_000);
      const held = rx.received[before];
      expect(held?.verified?.data.key.id).toBe(k.keyId);
      child?.kill('SIGKILL');
      await new Promise((r) => child?.once('exit', r));
      const killedAt = Date.now();
      await node();
      await rx.waitFor((list) => list.length >= before + 2, 20_000);
      const retried = rx.received[before + 1];
      expect(retried?.id).toBe(held?.id);
      expect(retried?.body).toBe(held?.body);
      expect(retried?.verified).toBeDefined();
      // Not before the killed node's lease ended (it was taken at most LEASE_MS before the kill).
      expect((retried?.at ?? 0) - (held?.at ?? 0)).toBeGreaterThanOrEqual(LEASE_MS - 100);
      expect(retried?.at ?? 0).toBeGreaterThanOrEqual(killedAt);
      const eps = await h.call('GET', `/v1/accounts/${t.accountId}/webhooks`, { token: t.adminToken });
      const log = async () =>
        (await h.call('GET', `/v1/accounts/${t.accountId}/webhooks/${eps.body.endpoints[0].id}/deliveries`, { token: t.adminToken })).body
          .deliveries[0];
      await expect.poll(async () => (await log()).status).toBe('delivered');
      expect(await log()).toMatchObject({ eventId: held?.id, attempts: 2, lastStatusCode: 200 });
    });
  });
}
