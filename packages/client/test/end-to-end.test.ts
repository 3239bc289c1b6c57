import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, DIALECTS, type Harness, type Tenant } from '../../../test/harness.js';
import {
  type DeviceUsageSeries,
  deviceFetch,
  KeywardClient,
  SHARED_SECRET_RESET_CONFIRMATION,
  type SignatureVerification,
  signRequest,
} from '../src/index.js';

/**
 * The deployment the SDK is for: a device signs requests to the customer's own API, which
 * asks a real, listening Keyward whether to let them through. The customer API here is a
 * bare node:http server, so the verified bytes are exactly those that crossed the wire.
 */
function customerApi(verifier: KeywardClient): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const result = await verifier.verifySignature({
        method: req.method ?? '',
        path: req.url ?? '',
        host: req.headers.host ?? '',
        timestamp: req.headers['x-bcot-timestamp'] as string | undefined,
        authorization: req.headers.authorization,
        bodyHash: createHash('sha256').update(Buffer.concat(chunks)).digest('hex'),
      });
      res.writeHead(result.valid ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`client end to end [${dialect.name}]`, () => {
    let h: Harness;
    let keywardUrl: string;
    let api: Server;
    let apiUrl: string;
    let t: Tenant;
    beforeAll(async () => {
      h = await createHarness(dialect);
      keywardUrl = await h.kw.app.listen({ host: '127.0.0.1', port: 0 });
      api = await customerApi(new KeywardClient({ baseUrl: keywardUrl }));
      apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
      t = await h.tenant();
    });
    afterAll(async () => {
      if (api) {
        api.closeAllConnections();
        await new Promise((resolve) => api.close(resolve));
      }
      await h?.close();
    });

    it('a request signed by deviceFetch verifies; tampered and replayed ones do not', async () => {
      const admin = new KeywardClient({ baseUrl: keywardUrl, token: t.adminToken });
      const { device, secret } = await admin.createDevice(t.accountId, { name: 'Sensor 1' });
      expect(secret).toMatch(/^[0-9a-f]{128}$/);
      const creds = { deviceId: device.id, secret: secret as string };
      const body = JSON.stringify({ message: 'Test message', options: { encoding: 'utf8' } });

      const ok = await deviceFetch(creds)(`${apiUrl}/messages/log?x=1&y=two`, { method: 'POST', body });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ valid: true, code: 'VALID', deviceId: device.id, accountId: t.accountId });

      const url = `${apiUrl}/messages/log`;
      const headers = signRequest({ ...creds, method: 'POST', url, body });
      const tampered = await fetch(url, { method: 'POST', headers, body: body.replace('Test', 'Evil') });
      expect(tampered.status).toBe(401);
      expect(((await tampered.json()) as SignatureVerification).code).toBe('INVALID_SIGNATURE');

      const first = await fetch(url, { method: 'POST', headers, body });
      expect(first.status).toBe(200);
      const replay = await fetch(url, { method: 'POST', headers, body });
      expect(((await replay.json()) as SignatureVerification).code).toBe('REPLAYED');

      // Usage of the device through the SDK: the two requests let through, neither refusal.
      const usage = await admin.getUsage(t.accountId, { deviceId: device.id });
      const series: DeviceUsageSeries[] = usage.devices;
      expect(series.map((s) => s.deviceId)).toEqual([device.id]);
      expect(series[0]?.points.reduce((n, p) => n + p.count + p.rejected, 0)).toBe(2);
      const read = await admin.getDevice(t.accountId, device.id);
      expect([read.usageCount, read.rejectedCount]).toEqual([2, 0]);
      expect(read.lastUsedAt).toEqual(expect.any(Number));
    });

    it('KeywardClient covers applications, keys and devices', async () => {
      const kw = new KeywardClient({ baseUrl: keywardUrl, token: t.adminToken });
      const app = await kw.createApplication(t.accountId, { name: 'Billing' });
      expect((await kw.getApplication(t.accountId, app.id)).name).toBe('Billing');
      expect((await kw.updateApplication(t.accountId, app.id, { description: 'nightly' })).description).toBe('nightly');
      expect((await kw.listApplications(t.accountId)).applications.map((a) => a.id)).toContain(app.id);
      const { key, accessKey } = await kw.createKey(t.accountId, app.id, { name: 'k', scopes: [] });
      expect((await kw.verifyKey(key)).code).toBe('VALID');
      expect((await kw.getKey(t.accountId, accessKey.id)).id).toBe(accessKey.id);
      expect((await kw.listKeys(t.accountId)).keys.map((k) => k.id)).toContain(accessKey.id);
      expect((await kw.revokeKey(t.accountId, accessKey.id)).status).toBe('revoked');
      expect((await kw.verifyKey(key)).code).toBe('REVOKED');
      expect((await kw.revokeApplication(t.accountId, app.id)).status).toBe('revoked');

      const { device } = await kw.createDevice(t.accountId, { name: 'd', useSharedSecret: true });
      expect((await kw.getDevice(t.accountId, device.id)).secretSource).toBe('shared');
      expect((await kw.updateDevice(t.accountId, device.id, { status: 'disabled' })).status).toBe('disabled');
      const reset = await kw.resetDeviceSecret(t.accountId, device.id, { useSharedSecret: false });
      expect(reset.secret).toMatch(/^[0-9a-f]{128}$/);
      const shared = await kw.getSharedSecret(t.accountId);
      const rotated = await kw.resetSharedSecret(t.accountId, { confirm: SHARED_SECRET_RESET_CONFIRMATION, resetAllDevices: true });
      expect(rotated.secret).not.toBe(shared.secret);
      expect(rotated.devicesReset).toBeGreaterThanOrEqual(1);
      expect(await kw.deleteDevice(t.accountId, device.id)).toEqual({ ok: true });
    });

    it('KeywardClient surfaces API errors with their code', async () => {
      const admin = new KeywardClient({ baseUrl: keywardUrl, token: t.adminToken });
      await expect(admin.resetSharedSecret(t.accountId, { confirm: 'yes' })).rejects.toMatchObject({
        status: 400,
        code: 'CONFIRMATION_REQUIRED',
      });
      await expect(new KeywardClient({ baseUrl: keywardUrl }).listDevices(t.accountId)).rejects.toMatchObject({
        status: 401,
        code: 'UNAUTHORIZED',
      });
    });
  });
}
