/**
 * The verify fast path's own cost in-process: fake request and response objects, cached keys with
 * no limit, one limit, three limits, and a bad-checksum key; interleaved rounds, CPU time per request.
 * `npx tsx bench/micro/hot-inproc.ts`; HOT_N requests per round, HOT_ROUNDS, HOT_ONLY=one (e.g. for
 * a --cpu-prof), HOT_BASE=<a checkout of another commit> (its code too, in the same process,
 * interleaved: an A/B of two versions).
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const OPERATOR = { email: 'operator@bench.local', password: 'operator-password-1' };
type Handle = (req: IncomingMessage, res: ServerResponse) => boolean;

/** One Keyward of the code under `root` (SQLite in a temp dir), its keys and its fast verify handler. */
async function setUp(root: string) {
  const { loadConfig } = await import(pathToFileURL(join(root, 'src/config.ts')).href);
  const { createKeyward } = await import(pathToFileURL(join(root, 'src/server.ts')).href);
  const { createFastVerify } = await import(pathToFileURL(join(root, 'src/http/fast-verify.ts')).href);
  const dir = mkdtempSync(join(tmpdir(), 'keyward-hot-'));
  const config = loadConfig(
    { KEYWARD_REDIS_URL: process.env.HOT_REDIS_URL },
    {
      databaseUrl: `sqlite:${join(dir, 'keyward.db')}`,
      dataDir: dir,
      bootstrapEmail: OPERATOR.email,
      bootstrapPassword: OPERATOR.password,
    },
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
  const admin = { email: 'a@b.local', name: 'A', password: 'admin-password-1' };
  const created = await call('POST', '/v1/accounts', { name: 'B', admin }, op);
  const token = (await call('POST', '/v1/auth/login', { email: admin.email, password: admin.password })).token as string;
  const accountId = created.account.id as string;
  const app = await call('POST', `/v1/accounts/${accountId}/applications`, { name: 'app' }, token);
  const make = async (name: string, ratelimits: object[]) =>
    (await call('POST', `/v1/accounts/${accountId}/applications/${app.id}/keys`, { name, scopes: ['device:read'], ratelimits }, token))
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
  const handle: Handle = createFastVerify(kw.ctx, { bodyLimit: 1 << 20, logError: (e: unknown) => console.error(e) });
  return { kw, keys, handle };
}

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
function once(handle: Handle, body: Buffer) {
  const req = new EventEmitter() as IncomingMessage & EventEmitter;
  Object.assign(req, { method: 'POST', url: '/v1/keys/verify', headers });
  handle(req, res);
  req.emit('data', body);
  req.emit('end');
}

const here = join(new URL('.', import.meta.url).pathname, '../..');
const versions = [{ label: '', ...(await setUp(here)) }];
if (process.env.HOT_BASE) versions.push({ label: 'base ', ...(await setUp(process.env.HOT_BASE)) });
const N = Number(process.env.HOT_N ?? 100_000);
const ROUNDS = Number(process.env.HOT_ROUNDS ?? 6);
const names = process.env.HOT_ONLY ? process.env.HOT_ONLY.split(',') : ['none', 'one', 'three', 'bad'];
const got: Record<string, number[]> = {};
// HOT_HEAP_PROFILE=<file>: a sampling heap profile of the loops that keeps collected objects too (what each request allocates).
const heapProfile = process.env.HOT_HEAP_PROFILE;
const session = heapProfile ? new (await import('node:inspector')).Session() : undefined;
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) => session?.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
if (session) {
  session.connect();
  await post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
for (let r = 0; r < ROUNDS; r++) {
  for (const v of versions) {
    for (const name of names) {
      const b = Buffer.from(JSON.stringify({ key: v.keys[name] }));
      await new Promise((r) => setImmediate(r));
      // With --trace-gc, the scavenges between these two lines are this row's garbage (count them).
      console.log(`ROW ${v.label}${name}`);
      const c0 = process.cpuUsage();
      for (let i = 0; i < N; i++) once(v.handle, b);
      const c = process.cpuUsage(c0);
      got[v.label + name] = [...(got[v.label + name] ?? []), ((c.user + c.system) * 1000) / N];
      await new Promise((r) => setImmediate(r));
      console.log('END');
    }
  }
}
for (const [name, list] of Object.entries(got)) {
  const xs = list.slice().sort((a, b) => a - b);
  const at = (q: number) => Math.round(xs[Math.floor(q * (xs.length - 1))] as number);
  console.log(`${name.padEnd(11)} min ${at(0)}  median ${at(0.5)} ns/req   [${list.map((x) => Math.round(x)).join(' ')}]`);
}
console.log('bytes', written);
if (session && heapProfile) {
  const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: object };
  (await import('node:fs')).writeFileSync(heapProfile, JSON.stringify(profile));
}
for (const v of versions) await v.kw.close();
process.exit(0);
