/**
 * Revocation propagation across a fleet: three Keyward nodes, each its own process, on one
 * database. For each revocation: a new key is created on node A and verified (so cached) on
 * B and C; it is revoked on A; from the moment A acknowledges, B and C are asked over HTTP,
 * back to back, until both answer REVOKED. One sample per node and revocation.
 *
 * Relays: Redis pub/sub (BENCH_PG_URL and BENCH_REDIS_URL), PostgreSQL LISTEN/NOTIFY
 * (BENCH_PG_URL), a SQLite file's change log (always), and relay down (every node's
 * KEYWARD_REDIS_URL at a closed port, on SQLite: only KEYWARD_RELAY_DOWN_TTL_MS bounds it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Started, startTarget, stopTarget } from './lib/child.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const REVOCATIONS = Number(process.env.BENCH_REVOCATIONS ?? 50);
const OPERATOR = { email: 'operator@bench.local', password: 'operator-password-1' };

export interface PropagationResult {
  relay: string;
  description: string;
  skipped?: string;
  nodes?: number;
  /** One per other node and revocation, ms from A's acknowledgement to REVOKED there. */
  samples?: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
}

interface Variant {
  relay: string;
  description: string;
  skipped?: string | undefined;
  setUp(): Promise<{ databaseUrl: string; redisUrl?: string; drop(): Promise<void> }>;
}

const pgUrl = process.env.BENCH_PG_URL;
const redisUrl = process.env.BENCH_REDIS_URL;

function sqliteDb() {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-fleet-'));
  return { databaseUrl: `sqlite:${join(dir, 'keyward.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function pgSchema() {
  const schema = `kw_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(pgUrl as string);
  url.searchParams.set('schema', schema);
  return {
    databaseUrl: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}

/** A local port nothing listens on: a Redis that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const VARIANTS: Variant[] = [
  {
    relay: 'Redis pub/sub',
    description: 'PostgreSQL store, KEYWARD_REDIS_URL set',
    skipped: !pgUrl || !redisUrl ? 'set BENCH_PG_URL and BENCH_REDIS_URL' : undefined,
    setUp: async () => ({ ...(await pgSchema()), redisUrl: redisUrl as string }),
  },
  {
    relay: 'PostgreSQL LISTEN/NOTIFY',
    description: 'PostgreSQL store, no Redis',
    skipped: !pgUrl ? 'set BENCH_PG_URL' : undefined,
    setUp: pgSchema,
  },
  {
    relay: 'SQLite change log',
    description: 'one SQLite file, no Redis (read every 50 ms)',
    setUp: async () => sqliteDb(),
  },
  {
    relay: 'relay down',
    description: 'SQLite file, KEYWARD_REDIS_URL at a closed port: KEYWARD_RELAY_DOWN_TTL_MS (1000) bounds it',
    setUp: async () => ({ ...sqliteDb(), redisUrl: `redis://127.0.0.1:${await closedPort()}` }),
  },
];

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

async function http(base: string, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as any;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function measure(variant: Variant, log: (s: string) => void): Promise<PropagationResult> {
  const db = await variant.setUp();
  const dataDir = mkdtempSync(join(tmpdir(), 'keyward-fleet-data-'));
  const nodes: Started[] = [];
  try {
    const env = {
      BENCH_NODE_DATABASE_URL: db.databaseUrl,
      BENCH_NODE_DATA_DIR: dataDir,
      BENCH_NODE_REDIS_URL: db.redisUrl ?? '',
      KEYWARD_LOG_LEVEL: 'error',
    };
    // One after the other: the first migrates and creates the master key.
    for (let i = 0; i < 3; i++) nodes.push(await startTarget(here('./targets/fleet-node.ts'), env));
    const [a, ...others] = nodes.map((n) => `http://127.0.0.1:${n.ready.port}`) as [string, ...string[]];
    const op = (await http(a, 'POST', '/v1/auth/login', OPERATOR)).token as string;
    const created = await http(
      a,
      'POST',
      '/v1/accounts',
      { name: 'Fleet', admin: { email: 'admin@fleet.local', name: 'Admin', password: 'admin-password-1' } },
      op,
    );
    const admin = (await http(a, 'POST', '/v1/auth/login', { email: 'admin@fleet.local', password: 'admin-password-1' })).token as string;
    const accountId = created.account.id as string;
    const app = await http(a, 'POST', `/v1/accounts/${accountId}/applications`, { name: 'Fleet app' }, admin);
    const verify = async (base: string, key: string) => (await http(base, 'POST', '/v1/keys/verify', { key })).code as string;
    const samples: number[] = [];
    for (let i = 0; i < REVOCATIONS; i++) {
      const k = await http(a, 'POST', `/v1/accounts/${accountId}/applications/${app.id}/keys`, { name: `k${i}`, scopes: [] }, admin);
      // The creation is relayed too and drops what B and C cached for the key: cache it after that.
      await new Promise((r) => setTimeout(r, 150));
      for (const base of others) if ((await verify(base, k.key)) !== 'VALID') throw new Error('new key not VALID on another node');
      // At a random moment, not in step with a polling relay's reads (each iteration ends right after one).
      await new Promise((r) => setTimeout(r, Math.random() * 60));
      await http(a, 'POST', `/v1/accounts/${accountId}/keys/${k.accessKey.id}/revoke`, undefined, admin);
      const acknowledged = performance.now();
      const ms = await Promise.all(
        others.map(async (base) => {
          for (;;) {
            const code = await verify(base, k.key);
            const at = performance.now() - acknowledged;
            if (code === 'REVOKED') return at;
            if (at > 60_000) throw new Error('revocation not seen within 60 s');
          }
        }),
      );
      samples.push(...ms);
    }
    samples.sort((x, y) => x - y);
    const r1 = (n: number) => Math.round(n * 10) / 10;
    const result = {
      relay: variant.relay,
      description: variant.description,
      nodes: nodes.length,
      samples: samples.length,
      p50Ms: r1(percentile(samples, 0.5)),
      p99Ms: r1(percentile(samples, 0.99)),
      maxMs: r1(samples.at(-1) as number),
    };
    log(`propagation ${variant.relay}: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms`);
    return result;
  } finally {
    for (const n of nodes) await stopTarget(n);
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchPropagation(log: (s: string) => void): Promise<PropagationResult[]> {
  const results: PropagationResult[] = [];
  for (const v of VARIANTS) {
    if (v.skipped) {
      results.push({ relay: v.relay, description: v.description, skipped: v.skipped });
      continue;
    }
    results.push(await measure(v, log));
  }
  return results;
}
