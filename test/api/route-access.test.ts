import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/http/types.js';
import { appWithKey, createHarness, DIALECTS, type Harness } from '../harness.js';

/**
 * Security: issue 10, item 1. Every route the app registers, against five low-privilege
 * credentials, checked against the table below. A route missing from the table fails the test,
 * so a new route cannot ship without someone deciding who may call it.
 */

/** The credentials, in the order of every row's expected statuses. */
const CREDENTIALS = ['no token', 'verify-only key', 'management key', 'member without permissions', "another tenant's admin"] as const;

type Row = (
  | { public: true }
  | {
      /** Expected status per credential, in the order of CREDENTIALS. */
      expect: [number, number, number, number, number];
      /** A body the schema accepts, so the answer is the access decision, not a validation error. */
      body?: unknown;
    }
) & {
  /** Ends the caller's session: runs after every other route. */
  endsSession?: boolean;
};

const PUBLIC: Row = { public: true };

/** The usual tenant route the management key (keyward:applications.view) does not cover. */
const TENANT: [number, number, number, number, number] = [401, 401, 403, 403, 404];
/** A tenant route the management key covers. */
const APPS_VIEW: [number, number, number, number, number] = [401, 401, 200, 403, 404];

/** The operator alone (none of the five credentials is the operator). */
const OPERATOR_ONLY: [number, number, number, number, number] = [401, 401, 403, 403, 403];

/** The webhook routes exist for an account's endpoints and for the operator's own. */
function webhookRows(base: string, expect: [number, number, number, number, number]): Record<string, Row> {
  return {
    [`POST ${base}`]: { expect, body: { url: 'https://example.com/hook', eventTypes: ['key.created'] } },
    [`GET ${base}`]: { expect },
    [`GET ${base}/:webhookId`]: { expect },
    [`PATCH ${base}/:webhookId`]: { expect, body: { url: 'https://example.com/other' } },
    [`DELETE ${base}/:webhookId`]: { expect },
    [`POST ${base}/:webhookId/rotate-secret`]: { expect },
    [`GET ${base}/:webhookId/deliveries`]: { expect },
    [`POST ${base}/:webhookId/deliveries/:deliveryId/redeliver`]: { expect },
    [`POST ${base}/:webhookId/test`]: { expect },
  };
}

/**
 * `METHOD path` → who may call it. Public routes answer without a management credential (the
 * verification endpoints carry their own credential in the body or header); for them the test
 * checks only that no credential makes them fail with a 5xx.
 */
const ACCESS: Record<string, Row> = {
  'GET /': PUBLIC,
  'GET /*': PUBLIC,
  'GET /index.html': PUBLIC,
  'GET /assets/*': PUBLIC,
  'GET /openapi.json': PUBLIC,
  'GET /healthz': PUBLIC,
  'GET /readyz': PUBLIC,
  // The operator's scrape endpoint: anyone unless KEYWARD_METRICS_TOKEN is set (test/api/metrics.test.ts).
  'GET /metrics': PUBLIC,
  'GET /v1/catalogue': PUBLIC,
  'POST /v1/auth/login': PUBLIC,
  'POST /v1/keys/verify': PUBLIC,
  'POST /v1/signatures/verify': PUBLIC,
  // Leak reports carry their own credential (a GitHub signature or a leak reporter token).
  'POST /v1/leaks': PUBLIC,
  // Gateway endpoint: authorizes the credential it is shown, not a management caller.
  ...Object.fromEntries(
    ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].flatMap((m) => [
      [`${m} /v1/authorize`, PUBLIC],
      [`${m} /v1/authorize/*`, PUBLIC],
    ]),
  ),
  // Ends the session it is shown; anything else is refused like on every bearer route (keys: SESSION_REQUIRED).
  'POST /v1/auth/logout': { expect: [401, 401, 403, 200, 200], endsSession: true },
  'POST /v1/auth/logout-all': { expect: [401, 401, 403, 200, 200], endsSession: true },
  'GET /v1/me': { expect: [401, 401, 200, 200, 200] },

  'POST /v1/accounts': {
    expect: [401, 401, 403, 403, 403],
    body: { name: 'N', admin: { email: 'new-admin@route-access.test', name: 'A', password: 'long-enough-1' } },
  },
  'GET /v1/accounts': { expect: [401, 401, 200, 200, 200] },
  'GET /v1/accounts/usage': { expect: OPERATOR_ONLY },
  'GET /v1/accounts/:accountId': { expect: [401, 401, 200, 200, 404] },
  'PATCH /v1/accounts/:accountId': { expect: [401, 401, 403, 403, 403], body: { name: 'Renamed' } },
  // Operator and account admins (any account's: plans are the operator's offer, not a tenant's data).
  'GET /v1/plans': { expect: [401, 401, 403, 403, 200] },

  'POST /v1/accounts/:accountId/users': {
    expect: TENANT,
    body: { email: 'new-user@route-access.test', name: 'U', password: 'long-enough-1' },
  },
  'GET /v1/accounts/:accountId/users': { expect: TENANT },
  'GET /v1/accounts/:accountId/users/:userId': { expect: TENANT },
  'PATCH /v1/accounts/:accountId/users/:userId': { expect: TENANT, body: { password: 'taken-over-password' } },
  'DELETE /v1/accounts/:accountId/users/:userId': { expect: TENANT },

  'POST /v1/accounts/:accountId/applications': { expect: TENANT, body: { name: 'New app' } },
  'GET /v1/accounts/:accountId/applications': { expect: APPS_VIEW },
  'GET /v1/accounts/:accountId/applications/:applicationId': { expect: APPS_VIEW },
  'PATCH /v1/accounts/:accountId/applications/:applicationId': { expect: TENANT, body: { name: 'Renamed' } },
  'POST /v1/accounts/:accountId/applications/:applicationId/revoke': { expect: TENANT },
  'POST /v1/accounts/:accountId/applications/:applicationId/keys': { expect: TENANT, body: { name: 'k', scopes: [] } },
  'GET /v1/accounts/:accountId/applications/:applicationId/keys': { expect: TENANT },

  'GET /v1/accounts/:accountId/keys': { expect: TENANT },
  'POST /v1/accounts/:accountId/keys': { expect: TENANT, body: { kind: 'customer', name: 'k', scopes: [] } },
  'GET /v1/accounts/:accountId/keys/:keyId': { expect: TENANT },
  'PATCH /v1/accounts/:accountId/keys/:keyId': { expect: TENANT, body: { name: 'Renamed' } },
  'DELETE /v1/accounts/:accountId/keys/:keyId': { expect: TENANT, body: { confirm: ':applicationId' } },
  'POST /v1/accounts/:accountId/keys/:keyId/revoke': { expect: TENANT },
  'POST /v1/accounts/:accountId/keys/:keyId/rotate': { expect: TENANT, body: { overlapSeconds: 0 } },

  'GET /v1/accounts/:accountId/usage': { expect: TENANT },
  'GET /v1/accounts/:accountId/audit': { expect: TENANT },

  'POST /v1/accounts/:accountId/devices': { expect: TENANT, body: { name: 'Meter' } },
  'GET /v1/accounts/:accountId/devices': { expect: TENANT },
  'GET /v1/accounts/:accountId/devices/:deviceId': { expect: TENANT },
  'PATCH /v1/accounts/:accountId/devices/:deviceId': { expect: TENANT, body: { status: 'disabled' } },
  'DELETE /v1/accounts/:accountId/devices/:deviceId': { expect: TENANT },
  'POST /v1/accounts/:accountId/devices/:deviceId/reset-secret': { expect: TENANT, body: { useSharedSecret: false } },
  'GET /v1/accounts/:accountId/shared-secret': { expect: TENANT },
  'POST /v1/accounts/:accountId/shared-secret/reset': { expect: TENANT, body: { confirm: 'no' } },

  'GET /v1/accounts/:accountId/leak-policy': { expect: TENANT },
  'PUT /v1/accounts/:accountId/leak-policy': { expect: TENANT, body: { mode: 'notify', overlapSeconds: 0 } },
  ...webhookRows('/v1/accounts/:accountId/webhooks', TENANT),
  ...webhookRows('/v1/webhooks', OPERATOR_ONLY),
};

/**
 * Every (method, path) the app has registered, read from Fastify's own route tree
 * (`printRoutes`), so routes other branches add appear without anyone listing them. HEAD
 * mirrors GET and is left out.
 */
function registeredRoutes(app: App): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    stack.length = depth;
    const segment = m[2] as string;
    // The tree prints a wildcard under its static parent without the slash between them.
    stack.push(segment === '*' && !stack.join('').endsWith('/') ? '/*' : segment);
    const path = stack.join('').replace(/^\/?/, '/');
    for (const method of (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD')) routes.push(`${method} ${path}`);
  }
  return [...new Set(routes)];
}

/** Fingerprinted dashboard files are one row. */
const rowKey = (route: string) => route.replace(/^GET \/assets\/.+$/, 'GET /assets/*');

for (const dialect of DIALECTS) {
  describe.skipIf(!dialect.enabled)(`who may call which route [${dialect.name}]`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(dialect);
    });
    afterAll(async () => h?.close());

    it('the route list comes from the app and covers every documented operation', () => {
      const routes = registeredRoutes(h.kw.app);
      expect(routes.length).toBeGreaterThan(40);
      const documented = Object.entries(h.kw.app.swagger().paths ?? {}).flatMap(([path, ops]) =>
        Object.keys(ops ?? {}).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1').replace('{*}', '*')}`),
      );
      expect(documented.filter((r) => !r.startsWith('HEAD ') && !routes.includes(r))).toEqual([]);
    });

    it('every registered route is in the access table and answers each credential as the table says', async () => {
      const missing = registeredRoutes(h.kw.app)
        .map(rowKey)
        .filter((r) => !(r in ACCESS));
      expect(missing.map((r) => `add route ${r} to the access table in test/api/route-access.test.ts`)).toEqual([]);

      // The test's own tenant, with a real id for every path parameter, so 401/403/404 is the decision, not a missing id.
      const t = await h.tenant();
      const other = await h.tenant();
      const verifyOnly = await appWithKey(h, t, t.adminToken, ['device:onboarding']);
      const management = await appWithKey(h, t, t.adminToken, ['keyward:applications.view']);
      const member = await h.user(t, {});
      const device = await h.call('POST', `/v1/accounts/${t.accountId}/devices`, { token: t.adminToken, body: { name: 'Meter' } });
      expect(device.status).toBe(201);
      const ids: Record<string, string> = {
        accountId: t.accountId,
        applicationId: verifyOnly.applicationId,
        keyId: verifyOnly.keyId,
        userId: t.adminId,
        deviceId: device.body.device.id,
      };
      const fill = (s: string) => s.replace(/:(\w+)/g, (_, name: string) => ids[name] ?? `:${name}`);
      const tokens = [undefined, verifyOnly.key, management.key, member.token, other.adminToken];

      const last = (r: string) => Number(ACCESS[rowKey(r)]?.endsSession === true);
      const routes = registeredRoutes(h.kw.app).sort((a, b) => last(a) - last(b));
      const wrong: string[] = [];
      for (const route of routes) {
        const row = ACCESS[rowKey(route)] as Row;
        const [method, pattern] = route.split(' ') as [string, string];
        const url = fill(pattern.replace(/\*$/, 'some/page'));
        if (row.endsSession) {
          // Each session-ending route gets sessions of its own to end.
          tokens[3] = await h.login(member.email, 'user-password-1');
          tokens[4] = await h.login(other.adminEmail, 'admin-password-1');
        }
        const body = 'public' in row ? (method === 'GET' || method === 'OPTIONS' ? undefined : {}) : row.body;
        for (const [i, token] of tokens.entries()) {
          const res = await h.call(method, url, {
            token,
            ...(body !== undefined && { body: JSON.parse(fill(JSON.stringify(body))) }),
          });
          const want = 'public' in row ? 'below 500' : row.expect[i];
          const ok = 'public' in row ? res.status < 500 : res.status === want;
          if (!ok) wrong.push(`${route} as ${CREDENTIALS[i]}: ${res.status} ${res.body?.error?.code ?? ''} (table says ${want})`);
        }
      }
      expect(wrong).toEqual([]);
      // Nothing the five credentials did changed the admin's password.
      expect((await h.call('POST', '/v1/auth/login', { body: { email: t.adminEmail, password: 'admin-password-1' } })).status).toBe(200);
    });
  });
}
