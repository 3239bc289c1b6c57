// The benchmark's peer: better-auth's API key plugin on SQLite (better-sqlite3), configured as
// its documentation shows. Its verification is a server-side call (`auth.api.verifyApiKey`),
// not a public route, so it is exposed on the cheapest possible wrapper: a bare node:http server.
// Started by bench/run.ts with fork(); reports { port, key } over IPC.
// BENCH_PEER_RATELIMIT=1 (bench/ratelimit.ts): the plugin's per-key rate limiting is on, as its
// documentation shows it, and { ratelimitKeys: { none, one, over } } are reported as well: a key
// with rate limiting off, one with a limit the load never reaches, and one already over its limit.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKey } from '@better-auth/api-key';
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';

const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-peer-'));
const db = new Database(join(dir, 'auth.db'));
// The same journal settings Keyward's SQLite store uses, so the peer is not held back by an
// fsync per verification (its verify writes usage counters to the key row).
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
const options = {
  database: db,
  secret: 'bench-secret-bench-secret-bench-secret-0123',
  baseURL: 'http://127.0.0.1',
  emailAndPassword: { enabled: true },
  logger: { disabled: true },
  // The default (10 requests a day per key) would refuse the benchmark after 10 calls: off, except
  // for the rate-limit part, which sets each key's own limit.
  plugins: [apiKey({ rateLimit: { enabled: process.env.BENCH_PEER_RATELIMIT === '1' } })],
};
const auth = betterAuth(options);
const { runMigrations } = await getMigrations(options);
await runMigrations();

const { user } = await auth.api.signUpEmail({ body: { email: 'bench@example.com', password: 'bench-password-1', name: 'Bench' } });
const created = await auth.api.createApiKey({ body: { userId: user.id, name: 'bench' } });
let ratelimitKeys;
if (process.env.BENCH_PEER_RATELIMIT === '1') {
  const make = async (name, limit) =>
    (await auth.api.createApiKey({ body: { userId: user.id, name, ...limit } })).key;
  ratelimitKeys = {
    none: await make('rl none', { rateLimitEnabled: false }),
    // A day-long window and a maximum the load never reaches: every request takes the allowed (counting) path.
    one: await make('rl one', { rateLimitEnabled: true, rateLimitTimeWindow: 86_400_000, rateLimitMax: 1_000_000_000 }),
    over: await make('rl over', { rateLimitEnabled: true, rateLimitTimeWindow: 86_400_000, rateLimitMax: 1 }),
  };
  const first = await auth.api.verifyApiKey({ body: { key: ratelimitKeys.over } });
  if (!first.valid) throw new Error(`peer: the over-limit key's first use was refused: ${first.error?.code}`);
}

/**
 * What nginx's auth_request asks in the nginx part (bench/nginx.ts), the peer's equivalent of
 * Keyward's /v1/authorize: the key from Authorization (`Bearer <key>` or the raw key), any
 * method (nginx sends HEAD), 204 when verifyApiKey accepts it, 401 otherwise. No body either
 * way, so nginx keeps its connection as it does Keyward's. better-auth has no route-level
 * scopes to check against the caller's URI: Keyward's answer does that work as well.
 */
async function authorize(req, res) {
  const header = req.headers.authorization ?? '';
  const key = header.startsWith('Bearer ') ? header.slice(7) : header;
  let status = 401;
  try {
    if (key) status = (await auth.api.verifyApiKey({ body: { key } })).valid ? 204 : 401;
  } catch {
    status = 401;
  }
  // A 204 has no body by definition (and must not carry Content-Length); the 401 says it is empty.
  res.writeHead(status, status === 204 ? {} : { 'content-length': 0 });
  res.end();
}

const server = createServer((req, res) => {
  if (req.url === '/authorize') {
    req.resume();
    authorize(req, res);
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    let status = 200;
    let body;
    try {
      const { key } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const result = await auth.api.verifyApiKey({ body: { key } });
      body = JSON.stringify({ valid: result.valid, code: result.error?.code ?? null, keyId: result.key?.id ?? null });
    } catch (e) {
      status = 400;
      body = JSON.stringify({ error: String(e?.message ?? e) });
    }
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ ready: true, port: server.address().port, key: created.key, ratelimitKeys });
});
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  if (m.ask === 'cpu') process.send?.(process.cpuUsage());
});
