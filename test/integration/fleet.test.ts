import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVALIDATION_CHANNEL } from '../../src/cache/redis-invalidation.js';
import { notifyChannel } from '../../src/store/dialect/postgres/notify-bus.js';
import { DIALECTS, OPERATOR, PG_URL, REDIS_URL } from '../harness.js';

/**
 * Issue #11, "A real fleet, tested": three `keyward serve` processes (bin/keyward.mjs, as
 * operators run it) on one PostgreSQL schema, behind a real nginx running
 * examples/nginx-fleet.conf, once with Redis relaying cache invalidations and once with
 * PostgreSQL LISTEN/NOTIFY. Traffic goes through nginx; each node is also asked directly.
 *   1. A revocation acknowledged through nginx is refused by every node within 1 s.
 *   2. kill -9 of a node under traffic loses nothing acknowledged, the others keep serving, and
 *      the restarted node rejoins.
 *   3. Terminating the nodes' PostgreSQL backends mid-run costs at worst quick 503s; every node
 *      serves again within seconds and the relay carries revocations again.
 */

const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find(existsSync) ?? (spawnSync('nginx', ['-v']).error ? undefined : 'nginx');
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'keyward.mjs');
const EXAMPLE = join(ROOT, 'examples', 'nginx-fleet.conf');
const postgres = DIALECTS.find((d) => d.name === 'postgres') as (typeof DIALECTS)[number];

/** The bound the issue sets for a revocation to hold everywhere. */
const PROPAGATION_MS = 1000;
/** Longest any one answer may take, even during a database blip (statement timeout 1 s here). */
const ANSWER_MS = 5000;
/** How long a node may take to serve again after its connections were terminated. */
const RECOVERY_MS = 5000;
const REVOCATIONS = 15;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(20);
  }
  throw new Error(`nginx did not listen on ${port}: ${log()}`);
}

/** Polls `fn` every 20 ms until `ok` holds, for at most `ms`; returns the last value. */
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let last = await fn();
  while (!ok(last) && Date.now() < end) {
    await sleep(20);
    last = await fn();
  }
  return last;
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
  const r = (n: number) => Math.round(n * 10) / 10;
  return { n: sorted.length, p50: r(at(0.5)), p99: r(at(0.99)), max: r(sorted.at(-1) as number) };
}

interface Answer {
  status: number;
  body: any;
  ms: number;
  upstream: string | null;
}

/** One HTTP request; a network failure answers status 0 instead of throwing. */
async function call(
  base: string,
  method: string,
  path: string,
  o: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(base + path, {
      method,
      headers: {
        ...(o.token !== undefined && { authorization: `Bearer ${o.token}` }),
        ...(o.body !== undefined && { 'content-type': 'application/json' }),
        ...o.headers,
      },
      ...(o.body !== undefined && { body: JSON.stringify(o.body) }),
      signal: AbortSignal.timeout(ANSWER_MS * 2),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // nginx's own error pages are HTML
    }
    return { status: res.status, body, ms: performance.now() - started, upstream: res.headers.get('x-upstream') };
  } catch (e) {
    return { status: 0, body: String(e), ms: performance.now() - started, upstream: null };
  }
}

/** One `keyward serve` process. */
class Node {
  child: ChildProcess | undefined;
  out = '';
  /** Every log line about the invalidation relay since the first start (not cut like `out`). */
  relayLines: string[] = [];
  private partial = '';
  readonly base: string;
  constructor(
    readonly name: string,
    readonly port: number,
    readonly env: NodeJS.ProcessEnv,
  ) {
    this.base = `http://127.0.0.1:${port}`;
  }

  /**
   * Starts the process and waits for its banner. Retried once when the start failed on
   * another suite's schema: Kysely's migrator lists the tables of every schema in the
   * database, which fails if a suite running in parallel drops its schema at that moment
   * (a test-only hazard: a deployment does not drop schemas under its nodes).
   */
  async start(): Promise<void> {
    const own = new URL(this.env.KEYWARD_DATABASE_URL as string).searchParams.get('schema');
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce();
      } catch (e) {
        const other = /schema "(\w+)" does not exist/.exec(this.out)?.[1];
        if (attempt >= 2 || other === undefined || other === own) throw e;
      }
    }
  }

  private async startOnce(): Promise<void> {
    this.out = '';
    this.partial = '';
    const child = spawn(process.execPath, [BIN, 'serve'], {
      cwd: ROOT,
      env: { ...this.env, KEYWARD_PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (d: Buffer) => {
      this.out = (this.out + d.toString()).slice(-20_000);
    };
    child.stderr?.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start: ${this.out}`)), 60_000);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code}) while starting: ${this.out}`));
      };
      child.once('exit', onExit);
      child.stdout?.on('data', (d: Buffer) => {
        keep(d);
        // JSON log lines (stdout): the ones about the relay are kept whole.
        const lines = (this.partial + d.toString()).split('\n');
        this.partial = lines.pop() ?? '';
        this.relayLines.push(...lines.filter((l) => l.includes('invalidation relay')));
        if (this.out.includes('Keyward listening on')) {
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve();
        }
      });
    });
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    // A node that does not drain within 10 s is not left behind.
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(force);
  }

  verify = async (key: string) => (await call(this.base, 'POST', '/v1/keys/verify', { body: { key } })).body?.code as string | undefined;
}

/**
 * The test's own subscriber on the relay the nodes use: a key's creation is announced there
 * (and drops what the nodes cached for that key), so a key is cached on the nodes for the
 * revocation measurement only once its creation has surely been relayed.
 */
interface Relayed {
  has(id: string): boolean;
  close(): Promise<void>;
}

async function listenToRelay(redisUrl: string | undefined, schema: string): Promise<Relayed> {
  const seen: string[] = [];
  if (redisUrl) {
    const sub = new Redis(redisUrl, { lazyConnect: true });
    await sub.connect();
    await sub.subscribe(INVALIDATION_CHANNEL);
    sub.on('message', (_c: string, raw: string) => seen.push(raw));
    return { has: (id) => seen.some((m) => m.includes(id)), close: async () => void sub.disconnect() };
  }
  const client = new pg.Client({ connectionString: PG_URL, application_name: 'kw_fleet_test_listener' });
  await client.connect();
  client.on('notification', (n) => seen.push(n.payload ?? ''));
  await client.query(`LISTEN "${notifyChannel(schema)}"`);
  return { has: (id) => seen.some((m) => m.includes(id)), close: () => client.end() };
}

const VARIANTS = [
  { relay: 'redis', redisUrl: REDIS_URL, enabled: REDIS_URL !== undefined },
  { relay: 'postgres', redisUrl: undefined, enabled: true },
];

for (const variant of VARIANTS) {
  describe.skipIf(!postgres.enabled || !NGINX || !variant.enabled)(`3 keyward serve nodes behind nginx, ${variant.relay} relay`, () => {
    const appName = `kw_fleet_${randomBytes(4).toString('hex')}`;
    let db: { url: string; drop(): Promise<void> };
    let schema: string;
    let nodes: Node[] = [];
    let dirs: string[] = [];
    let nginx: ChildProcess | undefined;
    let nginxLog = '';
    let base: string;
    let admin: pg.Client;
    let relayed: Relayed;
    let token: string;
    let accountId: string;
    let applicationId: string;
    let started = 0;

    const api = (method: string, path: string, body?: unknown) => call(base, method, path, { token, body });
    const createKey = (name: string) => api('POST', `/v1/accounts/${accountId}/applications/${applicationId}/keys`, { name, scopes: [] });
    const revoke = (keyId: string) => api('POST', `/v1/accounts/${accountId}/keys/${keyId}/revoke`);
    const live = () => nodes.filter((n) => n.alive);
    const diagnostics = () => `nginx: ${nginxLog.slice(-2000)}\n${nodes.map((n) => `${n.name}: ${n.out.slice(-2000)}`).join('\n')}`;

    /** Creates keys through nginx, then waits (bounded) until the relay has carried each creation. */
    async function keys(n: number, label: string) {
      const made: { key: string; keyId: string }[] = [];
      for (let i = 0; i < n; i++) {
        const r = await createKey(`${label}-${i}`);
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        made.push({ key: r.body.key, keyId: r.body.accessKey.id });
      }
      const all = await until(
        async () => made.every((k) => relayed.has(k.keyId)),
        (v) => v,
        5000,
      );
      expect(all, 'every creation was relayed').toBe(true);
      return made;
    }

    /**
     * Caches the key on every live node (a VALID answer), revokes it through nginx, and returns
     * per node the milliseconds from the acknowledgement until the node answers REVOKED.
     */
    async function revokeAndMeasure(k: { key: string; keyId: string }): Promise<number[]> {
      for (const node of live()) expect(await node.verify(k.key)).toBe('VALID');
      const r = await revoke(k.keyId);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const since = performance.now();
      return Promise.all(
        live().map(async (node) => {
          for (;;) {
            const code = await node.verify(k.key);
            const at = performance.now() - since;
            if (code === 'REVOKED') return at;
            if (at > 5000) return Number.POSITIVE_INFINITY;
          }
        }),
      );
    }

    const terminateBackends = async () =>
      (
        await admin.query(
          `select pg_terminate_backend(pid) as ok from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and application_name in ($1, $2)`,
          [appName, `${appName}-relay`],
        )
      ).rowCount ?? 0;

    beforeAll(async () => {
      started = performance.now();
      db = await postgres.create();
      const url = new URL(db.url);
      schema = url.searchParams.get('schema') as string;
      // Every connection of these nodes shows under this name (the relay's as `<name>-relay`),
      // so part 3 terminates these and no other suite's.
      url.searchParams.set('application_name', appName);
      admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      relayed = await listenToRelay(variant.redisUrl, schema);

      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KEYWARD_')) env[k] = v;
      // Shared by the fleet: one database, one master key (device secrets sealed on one node
      // are opened on another), one Redis when there is one.
      Object.assign(env, {
        KEYWARD_DATABASE_URL: url.toString(),
        KEYWARD_MASTER_KEY: randomBytes(32).toString('hex'),
        KEYWARD_HOST: '127.0.0.1',
        KEYWARD_TRUST_PROXY: '127.0.0.1',
        KEYWARD_BOOTSTRAP_EMAIL: OPERATOR.email,
        KEYWARD_BOOTSTRAP_PASSWORD: OPERATOR.password,
        KEYWARD_LOG_LEVEL: 'warn',
        KEYWARD_LOG_FORMAT: 'json',
        KEYWARD_MAX_KEYS_PER_APPLICATION: '100000',
        KEYWARD_DB_STATEMENT_TIMEOUT_MS: '1000',
        KEYWARD_DB_CONNECT_TIMEOUT_MS: '1000',
        ...(variant.redisUrl && { KEYWARD_REDIS_URL: variant.redisUrl }),
      });
      const ports = [await freePort(), await freePort(), await freePort()];
      nodes = ports.map((port, i) => {
        const dir = mkdtempSync(join(tmpdir(), 'keyward-fleet-node-'));
        dirs.push(dir);
        return new Node(`node${i + 1}`, port, { ...env, KEYWARD_DATA_DIR: dir });
      });
      // All at once, as a fleet starts: the migration lock lets one node migrate the fresh schema,
      // and one of them creates the operator.
      await Promise.all(nodes.map((n) => n.start()));
      console.log(`[fleet ${variant.relay}] 3 nodes started at once in ${Math.round(performance.now() - started)} ms`);

      const nginxPort = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'keyward-fleet-nginx-'));
      dirs.push(dir);
      chmodSync(dir, 0o755); // nginx workers running as root drop to a user that must reach the prefix
      const example = readFileSync(EXAMPLE, 'utf8');
      for (const p of ['8000', '8081', '8082', '8083']) expect(example).toContain(`127.0.0.1:${p}`);
      const conf = example
        .replaceAll('127.0.0.1:8000', `127.0.0.1:${nginxPort}`)
        .replaceAll('127.0.0.1:8081', `127.0.0.1:${ports[0]}`)
        .replaceAll('127.0.0.1:8082', `127.0.0.1:${ports[1]}`)
        .replaceAll('127.0.0.1:8083', `127.0.0.1:${ports[2]}`)
        // For the test only: which node answered (shows that the restarted node gets traffic again).
        .replace('client_max_body_size 1m;', 'client_max_body_size 1m;\n    add_header X-Upstream $upstream_addr always;');
      expect(conf).toContain('X-Upstream');
      writeFileSync(join(dir, 'nginx.conf'), conf);
      const proc = spawn(NGINX as string, ['-p', dir, '-e', 'stderr', '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      nginx = proc;
      proc.stderr?.on('data', (d: Buffer) => {
        nginxLog += d.toString();
      });
      await waitForPort(nginxPort, proc, () => nginxLog);
      base = `http://127.0.0.1:${nginxPort}`;

      // Everything below goes through nginx.
      const op = await call(base, 'POST', '/v1/auth/login', { body: OPERATOR });
      expect(op.status, JSON.stringify(op.body)).toBe(200);
      const email = `admin-${appName}@fleet.test`;
      const acc = await call(base, 'POST', '/v1/accounts', {
        token: op.body.token,
        body: { name: 'Fleet', admin: { email, name: 'Admin', password: 'admin-password-1' } },
      });
      expect(acc.status, JSON.stringify(acc.body)).toBe(201);
      accountId = acc.body.account.id;
      const login = await call(base, 'POST', '/v1/auth/login', { body: { email, password: 'admin-password-1' } });
      expect(login.status).toBe(200);
      token = login.body.token;
      const app = await api('POST', `/v1/accounts/${accountId}/applications`, { name: 'Fleet app' });
      expect(app.status).toBe(201);
      applicationId = app.body.id;
    }, 90_000);

    afterAll(async () => {
      if (nginx && nginx.exitCode === null) {
        const exited = new Promise((r) => nginx?.once('exit', r));
        nginx.kill('SIGQUIT');
        await exited;
      }
      await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
      await relayed?.close();
      await admin?.end();
      await db?.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
      nodes = [];
      dirs = [];
      console.log(`[fleet ${variant.relay}] whole suite ${Math.round(performance.now() - started)} ms`);
    });

    it('every node is ready and listens on the expected relay', async () => {
      for (const node of nodes) {
        const r = await call(node.base, 'GET', '/readyz');
        expect(r.status, diagnostics()).toBe(200);
        expect(r.body).toEqual({ ok: true, store: 'postgres', relay: 'up' });
      }
    });

    it('the client address reaches the nodes through X-Forwarded-For (KEYWARD_TRUST_PROXY names nginx)', async () => {
      const created = await call(base, 'POST', `/v1/accounts/${accountId}/applications`, {
        token,
        body: { name: 'From a client' },
        headers: { 'x-forwarded-for': '203.0.113.7' },
      });
      expect(created.status).toBe(201);
      const audit = await api('GET', `/v1/accounts/${accountId}/audit`);
      expect(audit.status).toBe(200);
      const event = audit.body.events.find((e: { targetId: string }) => e.targetId === created.body.id);
      expect(event?.ip, JSON.stringify(audit.body.events.slice(0, 3))).toBe('203.0.113.7');
    });

    it(`1. a revocation acknowledged through nginx is refused by every node within ${PROPAGATION_MS} ms`, async () => {
      const made = await keys(REVOCATIONS, 'propagation');
      const samples: number[] = [];
      for (const k of made) {
        const ms = await revokeAndMeasure(k);
        expect(Math.max(...ms), diagnostics()).toBeLessThan(PROPAGATION_MS);
        samples.push(Math.max(...ms));
        // And through nginx, whichever node answers.
        expect((await call(base, 'POST', '/v1/keys/verify', { body: { key: k.key } })).body.code).toBe('REVOKED');
      }
      console.log(
        `[fleet ${variant.relay}] revocation until all 3 nodes refuse (ms from the 200 through nginx): ${JSON.stringify(summary(samples))}`,
      );
    });

    it('2. kill -9 of one node under traffic: nothing acknowledged is lost, the others keep serving, the restarted node rejoins', async () => {
      const victim = nodes[1] as Node;
      const survivors = nodes.filter((n) => n !== victim);
      const known = await keys(5, 'known');
      const created: { key: string; keyId: string }[] = [];
      const toRevoke: string[] = [];
      const revoked = new Set<string>();
      const revokeUnknown = new Set<string>();
      const failures: { op: string; status: number; code?: string }[] = [];
      let done = 0;
      let stop = false;
      const record = (op: string, r: Answer, ok: number) => {
        done++;
        if (r.status !== ok) failures.push({ op, status: r.status, code: r.body?.error?.code ?? r.body?.code });
      };
      const CREATORS = 3;
      const REVOKERS = 2;
      const VERIFIERS = 3;
      const creator = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const r = await createKey(`traffic-${w}-${i}`);
          record('create', r, 201);
          if (r.status === 201) {
            created.push({ key: r.body.key, keyId: r.body.accessKey.id });
            toRevoke.push(r.body.accessKey.id);
          }
        }
      };
      const revoker = async () => {
        while (!stop) {
          // Every other created key is revoked, while the traffic runs.
          const keyId = toRevoke.shift();
          toRevoke.shift();
          if (keyId === undefined) {
            await sleep(5);
            continue;
          }
          const r = await revoke(keyId);
          record('revoke', r, 200);
          if (r.status === 200) revoked.add(keyId);
          else revokeUnknown.add(keyId);
        }
      };
      const verifier = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const k = known[(w + i) % known.length] as { key: string };
          const r = await call(base, 'POST', '/v1/keys/verify', { body: { key: k.key } });
          record('verify', r, 200);
          if (r.status === 200) expect(r.body.code).toBe('VALID');
        }
      };
      const workers = [
        ...Array.from({ length: CREATORS }, (_, w) => creator(w)),
        ...Array.from({ length: REVOKERS }, () => revoker()),
        ...Array.from({ length: VERIFIERS }, (_, w) => verifier(w)),
      ];
      try {
        await until(
          async () => done,
          (n) => n >= 100,
          20_000,
        );
        const killedAt = done;
        await victim.kill('SIGKILL');
        await until(
          async () => done,
          (n) => n >= killedAt + 300,
          30_000,
        );
      } finally {
        stop = true;
        await Promise.all(workers);
      }
      const byOp = (op: string) => failures.filter((f) => f.op === op).length;
      console.log(
        `[fleet ${variant.relay}] kill -9 under traffic: ${done} requests, ${created.length} keys created, ${revoked.size} revoked, ` +
          `failed: ${failures.length} (create ${byOp('create')}, revoke ${byOp('revoke')}, verify ${byOp('verify')}) ${JSON.stringify(failures)}`,
      );
      // Only requests in flight on the killed node may fail (nginx does not send a POST that a
      // node received again, since it may have committed): at most one per management worker,
      // plus one per connection nginx kept open to it and used before noticing it was gone.
      // Verifications are retried on another node (location for verify in the example).
      expect(byOp('verify'), JSON.stringify(failures)).toBe(0);
      expect(failures.length, JSON.stringify(failures)).toBeLessThanOrEqual(2 * (CREATORS + REVOKERS));
      for (const f of failures) expect(f.status, JSON.stringify(f)).toBe(502);
      // Creations went on through the kill (how many depends on the machine's load: CI runs suites side by side).
      expect(created.length).toBeGreaterThan(10);
      expect(revoked.size).toBeGreaterThan(5);

      // Nothing acknowledged is lost, on either survivor.
      for (const node of survivors) {
        expect(node.alive).toBe(true);
        for (const k of created) {
          const code = await node.verify(k.key);
          if (revoked.has(k.keyId)) expect(code, `${node.name} ${k.keyId}`).toBe('REVOKED');
          else if (revokeUnknown.has(k.keyId)) expect(['VALID', 'REVOKED']).toContain(code);
          else expect(code, `${node.name} ${k.keyId}`).toBe('VALID');
        }
      }

      // The node restarts and rejoins: ready, listening on the relay, and given traffic again.
      const restartedAt = performance.now();
      await victim.start();
      const ready = await until(
        () => call(victim.base, 'GET', '/readyz'),
        (r) => r.status === 200 && r.body.relay === 'up',
        RECOVERY_MS,
      );
      expect(ready.body, victim.out).toEqual({ ok: true, store: 'postgres', relay: 'up' });
      const address = `127.0.0.1:${victim.port}`;
      const reached = await until(
        () => call(base, 'POST', '/v1/keys/verify', { body: { key: (known[0] as { key: string }).key } }),
        (r) => r.upstream === address,
        10_000,
      );
      expect(reached.upstream, diagnostics()).toBe(address);
      expect(reached.body.code).toBe('VALID');
      console.log(
        `[fleet ${variant.relay}] restarted node ready and given traffic after ${Math.round(performance.now() - restartedAt)} ms`,
      );
      for (const k of created) {
        const code = await victim.verify(k.key);
        if (revoked.has(k.keyId)) expect(code).toBe('REVOKED');
        else if (!revokeUnknown.has(k.keyId)) expect(code).toBe('VALID');
      }
      // And a revocation reaches it too.
      const [k] = await keys(1, 'after-restart');
      expect(Math.max(...(await revokeAndMeasure(k as { key: string; keyId: string })))).toBeLessThan(PROPAGATION_MS);
    }, 80_000);

    it('3. terminated PostgreSQL backends: 503 at worst, quickly; every node serves again and the relay carries revocations again', async () => {
      const cached = await keys(3, 'cached');
      for (const k of cached) for (const node of nodes) expect(await node.verify(k.key)).toBe('VALID');
      const answers: (Answer & { op: string })[] = [];
      let stop = false;
      const loop = async (op: string, fn: (i: number) => Promise<Answer>) => {
        for (let i = 0; !stop; i++) answers.push({ op, ...(await fn(i)) });
      };
      const workers = [
        loop('verify', (i) => call(base, 'POST', '/v1/keys/verify', { body: { key: (cached[i % cached.length] as { key: string }).key } })),
        loop('verify', (i) =>
          call(base, 'POST', '/v1/keys/verify', { body: { key: (cached[(i + 1) % cached.length] as { key: string }).key } }),
        ),
        loop('create', (i) => createKey(`blip-${i}`)),
        loop('list', () => api('GET', `/v1/accounts/${accountId}/applications`)),
      ];
      let terminated = 0;
      let lastTerminate = 0;
      try {
        await until(
          async () => answers.length,
          (n) => n >= 40,
          20_000,
        );
        terminated += await terminateBackends();
        const mid = answers.length;
        await until(
          async () => answers.length,
          (n) => n >= mid + 40,
          20_000,
        );
        lastTerminate = performance.now();
        terminated += await terminateBackends();
        const late = answers.length;
        await until(
          async () => answers.length,
          (n) => n >= late + 40,
          20_000,
        );
      } finally {
        stop = true;
        await Promise.all(workers);
      }
      const unavailable = answers.filter((a) => a.status === 503);
      console.log(
        `[fleet ${variant.relay}] ${terminated} backends terminated twice during ${answers.length} requests: ` +
          `${unavailable.length} answered 503, slowest ${Math.round(Math.max(...answers.map((a) => a.ms)))} ms`,
      );
      expect(terminated).toBeGreaterThanOrEqual(variant.relay === 'postgres' ? 3 : 1);
      for (const a of answers) {
        if (a.status === 503) expect(a.body?.error?.code, JSON.stringify(a)).toBe('STORE_UNAVAILABLE');
        else expect(a.status, JSON.stringify(a)).toBe(a.op === 'create' ? 201 : 200);
        expect(a.ms).toBeLessThan(ANSWER_MS);
      }
      // Verifications of cached keys never needed the store.
      for (const a of answers.filter((x) => x.op === 'verify'))
        expect(a.body?.code ?? a.body?.error?.code).toMatch(/VALID|STORE_UNAVAILABLE/);
      for (const node of nodes) expect(node.alive, node.out).toBe(true);

      // Every node serves again, with its relay listening again, within seconds of the last blip.
      for (const node of nodes) {
        const r = await until(
          () => call(node.base, 'GET', '/readyz'),
          (x) => x.status === 200 && x.body.relay === 'up',
          RECOVERY_MS,
        );
        expect(r.body, node.out).toEqual({ ok: true, store: 'postgres', relay: 'up' });
        // LISTEN/NOTIFY lost its connection too, said so, and listens again (readyz: up).
        if (variant.relay === 'postgres') {
          const said = await until(
            async () => node.relayLines.join('\n'),
            (lines) => lines.includes('cache invalidation relay down'),
            RECOVERY_MS,
          );
          expect(said, node.out).toContain('cache invalidation relay down');
        }
      }
      const recovered = performance.now() - lastTerminate;
      expect(recovered).toBeLessThan(RECOVERY_MS);
      console.log(`[fleet ${variant.relay}] every node ready, relay up, ${Math.round(recovered)} ms after the last termination`);
      // A revocation after the blip still reaches every node within the bound.
      for (const k of await keys(3, 'after-blip')) {
        expect(Math.max(...(await revokeAndMeasure(k)))).toBeLessThan(PROPAGATION_MS);
      }
    }, 60_000);
  });
}
