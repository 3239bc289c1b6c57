import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, createHarness, DIALECTS, type Harness, type Tenant } from '../harness.js';

/**
 * Issue #13: POST /v1/auth/logout declares bearer security, so it behaves like every bearer
 * route: only a live session is ended (200), anything else is refused.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`sign-out [${dialect.name}]`, () => {
    let h: Harness;
    let t: Tenant;
    beforeAll(async () => {
      h = await createHarness(dialect);
      t = await h.tenant();
    });
    afterAll(async () => h?.close());

    const logout = (token: string | undefined) => h.call('POST', '/v1/auth/logout', { token });

    it('ends the live session it is shown, and only that one', async () => {
      const first = await h.login(t.adminEmail, 'admin-password-1');
      const second = await h.login(t.adminEmail, 'admin-password-1');
      const res = await logout(first);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true });
      expect((await h.call('GET', '/v1/me', { token: first })).status).toBe(401);
      expect((await h.call('GET', '/v1/me', { token: second })).status).toBe(200);
    });

    it('a session that already ended is 401 UNAUTHORIZED, as on every bearer route', async () => {
      const token = await h.login(t.adminEmail, 'admin-password-1');
      expect((await logout(token)).status).toBe(200);
      const again = await logout(token);
      expect(again.status).toBe(401);
      expect(again.body.error.code).toBe('UNAUTHORIZED');
    });

    it('no token, or a made-up one, is 401 UNAUTHORIZED', async () => {
      for (const token of [undefined, 'kws_madeUpTokenThatWasNeverIssued000000000', 'garbage']) {
        const res = await logout(token);
        expect(res.status, String(token)).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
      }
    });

    it('an access key is not a session: 403 SESSION_REQUIRED with management scopes, 401 without', async () => {
      const managing = await appWithKey(h, t, t.adminToken, ['keyward:applications.view']);
      const verifyOnly = await appWithKey(h, t, t.adminToken, ['device:onboarding']);
      const withScopes = await logout(managing.key);
      expect(withScopes.status).toBe(403);
      expect(withScopes.body.error.code).toBe('SESSION_REQUIRED');
      expect((await logout(verifyOnly.key)).status).toBe(401);
      // The key still works: nothing was ended.
      expect((await h.call('GET', '/v1/me', { token: managing.key })).status).toBe(200);
    });
  });
}
