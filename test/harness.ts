import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Config, loadConfig } from '../src/config.js';
import { createKeyward, type Keyward } from '../src/server.js';
import { assertMatchesContract } from './contract.js';

/**
 * Every store-backed suite runs once per dialect: `for (const dialect of DIALECTS)`.
 * PostgreSQL runs when KEYWARD_TEST_DATABASE_URL is set (.ci/run always sets it).
 */
export const PG_URL = process.env.KEYWARD_TEST_DATABASE_URL;
export const REDIS_URL = process.env.KEYWARD_TEST_REDIS_URL;

export interface TestDialect {
  name: 'sqlite' | 'postgres';
  enabled: boolean;
  /** A fresh, empty database and how to throw it away. */
  create(): Promise<{ url: string; drop(): Promise<void> }>;
}

const sqlite: TestDialect = {
  name: 'sqlite',
  enabled: true,
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-test-'));
    return { url: `sqlite:${join(dir, 'keyward.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

const postgres: TestDialect = {
  name: 'postgres',
  enabled: PG_URL !== undefined,
  async create() {
    const schema = `kw_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const url = new URL(PG_URL as string);
    url.searchParams.set('schema', schema);
    return {
      url: url.toString(),
      async drop() {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA ${schema} CASCADE`);
        await c.end();
      },
    };
  },
};

export const DIALECTS: TestDialect[] = [sqlite, postgres];

export const OPERATOR = { email: 'operator@test.local', password: 'operator-password-1' };

export interface Harness {
  kw: Keyward;
  config: Config;
  /**
   * Fastify inject with JSON in and out. Every answer is checked against the app's own
   * /openapi.json (test/contract.ts): an undocumented status or body shape throws here.
   */
  call(
    method: string,
    url: string,
    opts?: { token?: string | undefined; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  login(email: string, password: string): Promise<string>;
  operatorToken: string;
  /** A fresh account with its admin signed in: the isolated tenant each test works in. */
  tenant(): Promise<Tenant>;
  /** A user in the tenant with the given rights, signed in. */
  user(
    t: Tenant,
    rights: { permissions?: string[]; apiScopes?: string[]; isAdmin?: boolean },
  ): Promise<{ id: string; email: string; token: string }>;
  close(): Promise<void>;
}

export interface Tenant {
  accountId: string;
  customerId: string;
  adminId: string;
  adminEmail: string;
  adminToken: string;
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(3).toString('hex')}`;

export async function createHarness(dialect: TestDialect, overrides: Partial<Config> = {}): Promise<Harness> {
  const db = await dialect.create();
  const config = loadConfig(
    {},
    {
      databaseUrl: db.url,
      bootstrapEmail: OPERATOR.email,
      bootstrapPassword: OPERATOR.password,
      dataDir: mkdtempSync(join(tmpdir(), 'keyward-data-')),
      ...overrides,
    },
  );
  const kw = await createKeyward(config);
  const call: Harness['call'] = async (method, url, opts = {}) => {
    const res = await kw.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(opts.token !== undefined && { authorization: `Bearer ${opts.token}` }),
        ...(opts.body !== undefined && { 'content-type': 'application/json' }),
        ...opts.headers,
      },
      ...(opts.body !== undefined && { payload: JSON.stringify(opts.body) }),
    });
    let body: unknown = res.body;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      // non-JSON body: keep the text
    }
    const contentType = res.headers['content-type'];
    assertMatchesContract(kw.app.swagger(), {
      method,
      url,
      status: res.statusCode,
      contentType: typeof contentType === 'string' ? contentType : undefined,
      body,
    });
    return { status: res.statusCode, body, headers: res.headers };
  };
  const login = async (email: string, password: string) => {
    const res = await call('POST', '/v1/auth/login', { body: { email, password } });
    if (res.status !== 200) throw new Error(`login failed: ${JSON.stringify(res.body)}`);
    return res.body.token as string;
  };
  const operatorToken = await login(OPERATOR.email, OPERATOR.password);
  const h: Harness = {
    kw,
    config,
    call,
    login,
    operatorToken,
    async tenant() {
      const id = unique();
      const adminEmail = `admin-${id}@test.local`;
      const res = await call('POST', '/v1/accounts', {
        token: operatorToken,
        body: { name: `Tenant ${id}`, admin: { email: adminEmail, name: 'Admin', password: 'admin-password-1' } },
      });
      if (res.status !== 201) throw new Error(`tenant failed: ${JSON.stringify(res.body)}`);
      return {
        accountId: res.body.account.id,
        customerId: res.body.account.customerId,
        adminId: res.body.admin.id,
        adminEmail,
        adminToken: await login(adminEmail, 'admin-password-1'),
      };
    },
    async user(t, rights) {
      const email = `user-${unique()}@test.local`;
      const res = await call('POST', `/v1/accounts/${t.accountId}/users`, {
        token: t.adminToken,
        body: { email, name: 'User', password: 'user-password-1', ...rights },
      });
      if (res.status !== 201) throw new Error(`user failed: ${JSON.stringify(res.body)}`);
      return { id: res.body.id, email, token: await login(email, 'user-password-1') };
    },
    async close() {
      await kw.close();
      await db.drop();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Creates an application and a key in it as the given token's user. */
export async function appWithKey(h: Harness, t: Tenant, token: string, scopes: string[] = [], extra: Record<string, unknown> = {}) {
  const app = await h.call('POST', `/v1/accounts/${t.accountId}/applications`, { token, body: { name: 'App' } });
  if (app.status !== 201) throw new Error(`app failed: ${JSON.stringify(app.body)}`);
  const key = await h.call('POST', `/v1/accounts/${t.accountId}/applications/${app.body.id}/keys`, {
    token,
    body: { name: 'Key', scopes, ...extra },
  });
  if (key.status !== 201) throw new Error(`key failed: ${JSON.stringify(key.body)}`);
  return { applicationId: app.body.id as string, keyId: key.body.accessKey.id as string, key: key.body.key as string };
}

/**
 * The harness's node plus a second node on the same database (and the same Redis, when the
 * overrides name one), each with its own caches: how cross-node behaviour is tested.
 */
export async function startTwoNodes(dialect: TestDialect, overrides: Partial<Config> = {}): Promise<{ h: Harness; other: Keyward }> {
  const h = await createHarness(dialect, overrides);
  return { h, other: await createKeyward({ ...h.config }) };
}

/** Closes what `startTwoNodes` started, the second node first (either may be missing after a failed start). */
export async function closeTwoNodes(nodes: { h?: Harness | undefined; other?: Keyward | undefined }): Promise<void> {
  await nodes.other?.close();
  await nodes.h?.close();
}

/** The verification code a node answers for a key (through its Fastify route). */
export async function verifyCodeOn(kw: Keyward, key: string): Promise<string> {
  return (await kw.app.inject({ method: 'POST', url: '/v1/keys/verify', payload: { key } })).json().code as string;
}
