import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, DIALECTS, type Harness, OPERATOR, type Tenant } from '../../../test/harness.js';
import { KeywardApiError, KeywardClient, type RequestDescription } from '../src/index.js';

/** The management calls the dashboard makes, through the SDK, against a real listening Keyward. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`KeywardClient management API [${dialect.name}]`, () => {
    let h: Harness;
    let baseUrl: string;
    let t: Tenant;
    let admin: KeywardClient;
    beforeAll(async () => {
      h = await createHarness(dialect);
      baseUrl = await h.kw.app.listen({ host: '127.0.0.1', port: 0 });
      t = await h.tenant();
      admin = new KeywardClient({ baseUrl, token: t.adminToken });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('signs in, reads who it is and the catalogue, and signs out', async () => {
      const anonymous = new KeywardClient({ baseUrl });
      const session = await anonymous.login(t.adminEmail, 'admin-password-1');
      expect(session.user.email).toBe(t.adminEmail);
      const kw = new KeywardClient({ baseUrl, token: session.token });
      const me = await kw.getMe();
      expect(me.user.id).toBe(t.adminId);
      expect(me.viaKeyId).toBeNull();
      const catalogue = await kw.getCatalogue();
      expect(catalogue.permissions).toContain('users.view');
      expect(await kw.logout()).toEqual({ ok: true });
      await expect(kw.getMe()).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    });

    it('operator: creates, lists, reads and updates accounts', async () => {
      const op = new KeywardClient({ baseUrl, token: h.operatorToken });
      const created = await op.createAccount({
        name: 'Client Co',
        admin: { email: `client-admin-${Date.now()}@test.local`, name: 'A', password: 'admin-password-1' },
      });
      expect(created.admin.isAdmin).toBe(true);
      expect((await op.listAccounts()).accounts.map((a) => a.id)).toContain(created.account.id);
      expect((await op.getAccount(created.account.id)).name).toBe('Client Co');
      expect((await op.updateAccount(created.account.id, { maxApplications: 3 })).maxApplications).toBe(3);
      // The catalogue's plans: the operator and account admins (the test catalogue has none).
      expect(await op.listPlans()).toEqual({ plans: [] });
      expect(await admin.listPlans()).toEqual({ plans: [] });
    });

    it('users: create, read, update rights, change own password (current one checked), delete', async () => {
      const email = `member-${Date.now()}@test.local`;
      const user = await admin.createUser(t.accountId, {
        email,
        name: 'Member',
        password: 'member-password-1',
        permissions: ['users.view'],
      });
      expect((await admin.getUser(t.accountId, user.id)).permissions).toEqual(['users.view']);
      expect((await admin.listUsers(t.accountId)).users.map((u) => u.id)).toContain(user.id);
      expect((await admin.updateUser(t.accountId, user.id, { permissions: [] })).permissions).toEqual([]);

      const member = new KeywardClient({ baseUrl, token: (await new KeywardClient({ baseUrl }).login(email, 'member-password-1')).token });
      await expect(
        member.changePassword(t.accountId, user.id, { currentPassword: 'not-my-password', password: 'member-password-2' }),
      ).rejects.toMatchObject({ status: 403, code: 'CURRENT_PASSWORD_WRONG' });
      await member.changePassword(t.accountId, user.id, { currentPassword: 'member-password-1', password: 'member-password-2' });
      await expect(new KeywardClient({ baseUrl }).login(email, 'member-password-1')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
      const again = new KeywardClient({ baseUrl, token: (await new KeywardClient({ baseUrl }).login(email, 'member-password-2')).token });
      expect((await again.logoutAll()).sessionsEnded).toBeGreaterThanOrEqual(1);
      await expect(again.getMe()).rejects.toMatchObject({ status: 401 });

      expect(await admin.deleteUser(t.accountId, user.id)).toEqual({ ok: true });
      await expect(admin.getUser(t.accountId, user.id)).rejects.toBeInstanceOf(KeywardApiError);
    });

    it('keys: list by application and kind, edit, rotate, customer keys, delete with confirmation', async () => {
      const app = await admin.createApplication(t.accountId, { name: 'Keys app' });
      const { accessKey } = await admin.createKey(t.accountId, app.id, { name: 'first', scopes: [] });
      expect((await admin.listApplicationKeys(t.accountId, app.id)).keys.map((k) => k.id)).toEqual([accessKey.id]);
      expect((await admin.updateKey(t.accountId, accessKey.id, { description: 'edited' })).description).toBe('edited');

      const rotated = await admin.rotateKey(t.accountId, accessKey.id, { overlapSeconds: 0 });
      expect(rotated.previous.status).toBe('revoked');
      expect((await admin.verifyKey(rotated.key)).valid).toBe(true);
      expect((await admin.listApplicationKeys(t.accountId, app.id)).keys.map((k) => k.id)).toEqual([rotated.accessKey.id]);
      expect((await admin.listApplicationKeys(t.accountId, app.id, { includeRevoked: true })).keys).toHaveLength(2);

      const customer = await admin.createCustomerKey(t.accountId, { name: 'billing', scopes: [] });
      expect(customer.accessKey.kind).toBe('customer');
      const customerKeys = (await admin.listKeys(t.accountId, { kind: 'customer' })).keys;
      expect(customerKeys.map((k) => k.id)).toEqual([customer.accessKey.id]);

      await expect(admin.deleteKey(t.accountId, customer.accessKey.id, { confirm: 'wrong' })).rejects.toMatchObject({
        status: 409,
        code: 'CONFIRMATION_MISMATCH',
      });
      expect(await admin.deleteKey(t.accountId, customer.accessKey.id, { confirm: t.customerId })).toEqual({ ok: true });
      await expect(admin.getKey(t.accountId, customer.accessKey.id)).rejects.toMatchObject({ status: 404 });
    });

    it('audit pages with cursor / nextCursor; usage answers a series per key', async () => {
      for (let i = 0; i < 3; i++) await admin.createApplication(t.accountId, { name: `Audited ${i}` });
      const first = await admin.listAuditEvents(t.accountId, { limit: 2 });
      expect(first.events).toHaveLength(2);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await admin.listAuditEvents(t.accountId, { limit: 2, cursor: first.nextCursor! });
      expect(second.events.length).toBeGreaterThan(0);
      const seen = new Set(first.events.map((e) => e.id));
      for (const e of second.events) expect(seen.has(e.id)).toBe(false);

      const usage = await admin.getUsage(t.accountId, { from: Date.now() - 3600_000, to: Date.now() + 1 });
      expect(Array.isArray(usage.series)).toBe(true);
    });

    it('call() reaches any documented operation, encoding path parameters', async () => {
      const app = await admin.call('post', '/v1/accounts/{accountId}/applications', {
        params: { accountId: t.accountId },
        body: { name: 'Via call' },
      });
      const got = await admin.call('get', '/v1/accounts/{accountId}/applications/{applicationId}', {
        params: { accountId: t.accountId, applicationId: app.id },
      });
      expect(got.name).toBe('Via call');
      await expect(
        admin.call('get', '/v1/accounts/{accountId}/applications/{applicationId}', {
          params: { accountId: t.accountId, applicationId: '../x y' },
        }),
      ).rejects.toMatchObject({ status: 404 });

      // Compile time: the document decides what a call takes and answers (`npm run typecheck` fails if one of these compiles).
      const mistakes = () => [
        // @ts-expect-error a path the document does not have
        admin.call('get', '/v1/nope'),
        // @ts-expect-error a path parameter the path does not have
        admin.call('get', '/v1/accounts/{accountId}', { params: { account: 'x' } }),
        // @ts-expect-error a body where the operation takes none
        admin.call('get', '/v1/me', { body: {} }),
        // @ts-expect-error a field the request body does not have
        admin.createApplication(t.accountId, { name: 'x', colour: 'red' }),
        // @ts-expect-error a status the document does not list
        admin.getApplication(t.accountId, app.id).then((a) => a.status === 'deleted'),
      ];
      expect(mistakes).toBeTypeOf('function');
    });

    it('asks a token function on every request and reports failures to onError before throwing', async () => {
      let token: string | null = null;
      const seen: [number, string, RequestDescription][] = [];
      const kw = new KeywardClient({ baseUrl, token: () => token, onError: (e, req) => seen.push([e.status, e.code, req]) });
      await expect(kw.getMe()).rejects.toMatchObject({ status: 401 });
      token = await h.login(OPERATOR.email, OPERATOR.password);
      expect((await kw.getMe()).user.isOperator).toBe(true);
      await kw.logout();
      const err = await kw.getMe().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KeywardApiError);
      expect((err as KeywardApiError).requestId).toMatch(/\S/);
      // A request sent with a token replaced before its answer came: its 401 is reported as stale.
      const oldToken = token;
      token = await h.login(OPERATOR.email, OPERATOR.password);
      const late = (async () => {
        const sent = oldToken;
        token = sent;
        const p = kw.getMe();
        token = 'kws_a-token-signed-in-meanwhile';
        return p;
      })();
      await expect(late).rejects.toMatchObject({ status: 401 });
      expect(seen).toEqual([
        [401, 'UNAUTHORIZED', { method: 'GET', path: '/v1/me', authenticated: false, stale: false }],
        [401, 'UNAUTHORIZED', { method: 'GET', path: '/v1/me', authenticated: true, stale: false }],
        [401, 'UNAUTHORIZED', { method: 'GET', path: '/v1/me', authenticated: true, stale: true }],
      ]);
    });
  });
}

describe('KeywardClient without a Keyward to answer', () => {
  it('a refused connection is a KeywardApiError NETWORK_ERROR with status 0', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const err = await new KeywardClient({ baseUrl: `http://127.0.0.1:${port}` }).getCatalogue().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeywardApiError);
    expect(err).toMatchObject({ status: 0, code: 'NETWORK_ERROR', requestId: null });
  });

  it('an error answer without Keyward’s body keeps its status, as HTTP_<status>', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<h1>Bad gateway</h1>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await expect(new KeywardClient({ baseUrl: `http://127.0.0.1:${port}/` }).getCatalogue()).rejects.toMatchObject({
        status: 502,
        code: 'HTTP_502',
        message: 'The server answered 502.',
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
