/**
 * Keyward as the nginx part's gateway (bench/nginx.ts): a fresh SQLite store, one tenant, one
 * application key with the `device:read` scope, and reverse-proxy mode towards BENCH_UPSTREAM
 * (KEYWARD_UPSTREAM), so that one process answers nginx's /v1/authorize subrequests and also
 * proxies to the API itself. Reports { port, key } over IPC; answers { ask: 'cpu' }.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createKeyward } from '../../src/server.js';

const upstream = process.env.BENCH_UPSTREAM;
if (!upstream) throw new Error('keyward-gateway: set BENCH_UPSTREAM');
const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-gateway-'));
const OPERATOR = { email: 'operator@bench.local', password: 'operator-password-1' };
const kw = await createKeyward(
  loadConfig(
    { KEYWARD_UPSTREAM: upstream },
    {
      databaseUrl: `sqlite:${join(dir, 'keyward.db')}`,
      dataDir: dir,
      bootstrapEmail: OPERATOR.email,
      bootstrapPassword: OPERATOR.password,
    },
  ),
);

async function call(url: string, body: unknown, token?: string) {
  const res = await kw.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    payload: JSON.stringify(body),
  });
  if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

const op = (await call('/v1/auth/login', OPERATOR)).token as string;
const admin = { email: 'admin@bench.local', name: 'Admin', password: 'admin-password-1' };
const account = (await call('/v1/accounts', { name: 'Bench', admin }, op)).account.id as string;
const token = (await call('/v1/auth/login', { email: admin.email, password: admin.password })).token as string;
const app = (await call(`/v1/accounts/${account}/applications`, { name: 'Bench app' }, token)).id as string;
const key = (await call(`/v1/accounts/${account}/applications/${app}/keys`, { name: 'k', scopes: ['device:read'] }, token)).key as string;

await kw.app.listen({ host: '127.0.0.1', port: 0 });
const addr = kw.app.server.address();
process.send?.({ ready: true, port: typeof addr === 'object' && addr ? addr.port : 0, key });
process.on('message', (m: { ask?: string }) => {
  if (m.ask === 'cpu') process.send?.(process.cpuUsage());
});
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
