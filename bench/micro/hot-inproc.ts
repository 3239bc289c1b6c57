/**
 * The verify fast path's own cost in-process: fake request and response objects, a cached key
 * with no limit, one limit, three limits; interleaved rounds, CPU time per request.
 * `npx tsx bench/micro/hot-inproc.ts` (HOT_N requests per round, HOT_ROUNDS, HOT_ONLY=one for a profile).
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createFastVerify } from '../../src/http/fast-verify.js';
import { createKeyward } from '../../src/server.js';

const dir = mkdtempSync(join(tmpdir(), 'keyward-hot-'));
const OPERATOR = { email: 'operator@bench.local', password: 'operator-password-1' };
const config = loadConfig(
  { KEYWARD_REDIS_URL: process.env.HOT_REDIS_URL },
  { databaseUrl: `sqlite:${join(dir, 'keyward.db')}`, dataDir: dir, bootstrapEmail: OPERATOR.email, bootstrapPassword: OPERATOR.password },
);
const kw = await createKeyward(config);
async function call(method: 'GET' | 'POST', url: string, body?: unknown, token?: string) {
  const res = await kw.app.inject({
    method,
    url,
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}
const op = (await call('POST', '/v1/auth/login', OPERATOR)).token as string;
const created = await call(
  'POST',
  '/v1/accounts',
  { name: 'B', admin: { email: 'a@b.local', name: 'A', password: 'admin-password-1' } },
  op,
);
const admin = (await call('POST', '/v1/auth/login', { email: 'a@b.local', password: 'admin-password-1' })).token as string;
const accountId = created.account.id as string;
const app = await call('POST', `/v1/accounts/${accountId}/applications`, { name: 'app' }, admin);
const make = async (name: string, ratelimits: object[]) =>
  (await call('POST', `/v1/accounts/${accountId}/applications/${app.id}/keys`, { name, scopes: ['device:read'], ratelimits }, admin))
    .key as string;
const s = { name: 'per-second', limit: 1_000_000, window: 'second' };
const keys: Record<string, string> = {
  none: await make('none', []),
  one: await make('one', [s]),
  three: await make('three', [
    s,
    { name: 'per-minute', limit: 100_000_000, window: 'minute' },
    { name: 'per-hour', limit: 1_000_000_000, window: 'hour' },
  ]),
  bad: 'kw_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
};
const handle = createFastVerify(kw.ctx, { bodyLimit: 1 << 20, logError: (e) => console.error(e) });
let written = 0;
const res = {
  writeHead() {
    return this;
  },
  end(body: string) {
    written += body.length;
  },
  destroy() {},
} as unknown as ServerResponse;
const headers = { 'content-type': 'application/json', 'content-length': '50' };
function once(body: Buffer) {
  const req = new EventEmitter() as IncomingMessage & EventEmitter;
  Object.assign(req, { method: 'POST', url: '/v1/keys/verify', headers });
  handle(req, res);
  req.emit('data', body);
  req.emit('end');
}
const N = Number(process.env.HOT_N ?? 100_000);
const ROUNDS = Number(process.env.HOT_ROUNDS ?? 6);
const names = process.env.HOT_ONLY ? process.env.HOT_ONLY.split(',') : Object.keys(keys);
const bodies = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, Buffer.from(JSON.stringify({ key: v }))]));
once(bodies.one as Buffer);
const got: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const name of names) {
    const b = bodies[name] as Buffer;
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) once(b);
    const c = process.cpuUsage(c0);
    got[name] = [...(got[name] ?? []), ((c.user + c.system) * 1000) / N];
    await new Promise((r) => setImmediate(r));
  }
}
for (const name of names) {
  const xs = (got[name] as number[]).slice().sort((a, b) => a - b);
  console.log(
    `${name.padEnd(6)} median ${Math.round(xs[Math.floor(xs.length / 2)] as number)} ns/req  [${xs.map((x) => Math.round(x)).join(' ')}]`,
  );
}
console.log('bytes', written);
await kw.close();
process.exit(0);
