/**
 * In-process microbenchmark of CTN1 verification (issue #15): each step, before and after, timed
 * as CPU time per call in interleaved batches in one process (robust on a shared machine; see
 * docs/performance.md "Signed requests (CTN1)"). The "before" variants are the former code,
 * kept here as the reference.
 *
 *   npx tsx bench/micro/ctn1-verify.ts
 *
 * Env: BATCH (calls per batch, default 20000), ROUNDS (interleaved batches per variant, default 7).
 */
import { createHash, createHmac, createSecretKey, hash, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthCtx } from '../../src/auth/context.js';
import { type SignedRequest, verifySignedRequest } from '../../src/auth/device-signature.js';
import { MemoryReplayGuard } from '../../src/auth/replay-cache.js';
import { loadConfig } from '../../src/config.js';
import {
  computeSignature,
  conformedRequest,
  formatAuthorization,
  formatTimestamp,
  parseAuthorization,
  parseSignDate,
  parseTimestamp,
  signingKey,
  stringToSign,
} from '../../src/core/ctn1.js';
import { createKeyward } from '../../src/server.js';

const BATCH = Number(process.env.BATCH ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

/** CPU µs per call of each variant: batches interleaved A, B, A, B…, median of the rounds. */
async function compare(title: string, variants: Record<string, (i: number) => unknown>, batch = BATCH): Promise<void> {
  const names = Object.keys(variants);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  let sink = 0;
  for (let r = -1; r < ROUNDS; r++) {
    for (const n of names) {
      const f = variants[n] as (i: number) => unknown;
      const t0 = process.cpuUsage();
      for (let i = 0; i < batch; i++) {
        const out = f(r * batch + i);
        if (out instanceof Promise) await out;
        else if (out) sink++;
      }
      const used = process.cpuUsage(t0);
      if (r >= 0) samples[n]?.push((used.user + used.system) / batch); // round -1 warms up
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  console.log(`${title}${sink < 0 ? ' ' : ''}`);
  for (const n of names)
    console.log(
      `  ${n.padEnd(46)} ${med(samples[n] ?? [])
        .toFixed(2)
        .padStart(7)} µs/call`,
    );
}

// ---- the former code, as it was before issue #15 ----
const TIMESTAMP_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
function parseTimestampBefore(ts: string): number | null {
  const m = TIMESTAMP_PATTERN.exec(ts);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return formatTimestamp(ms) === ts ? ms : null;
}
class MemoryReplayGuardBefore {
  private readonly entries = new Map<string, number>();
  constructor(private readonly maxEntries = 100_000) {}
  async claim(deviceId: string, signature: string, expiresAt: number, now: number): Promise<boolean> {
    const k = `${deviceId}/${signature}`;
    const existing = this.entries.get(k);
    if (existing !== undefined && existing > now) return false;
    this.entries.delete(k);
    for (const [key, exp] of this.entries) {
      if (exp > now && this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
    this.entries.set(k, expiresAt);
    return true;
  }
}

/** The verifier as it was (its store-touching tail is the same and left out: lastUsedAt is fresh here). */
async function verifyBefore(ctx: AuthCtx, guard: MemoryReplayGuardBefore, req: SignedRequest): Promise<string> {
  if (!req.timestamp || !req.authorization) return 'MISSING_HEADERS';
  const now = ctx.now();
  const at = parseTimestampBefore(req.timestamp);
  if (at === null) return 'BAD_TIMESTAMP';
  if (Math.abs(now - at) > 300_000) return 'TIMESTAMP_OUT_OF_WINDOW';
  const auth = parseAuthorization(req.authorization);
  const signDay = auth && parseTimestampBefore(`${auth.signDate}T000000Z`);
  if (!auth || signDay === null) return 'MALFORMED_AUTHORIZATION';
  if (now < signDay || now >= signDay + 7 * 86_400_000) return 'SIGN_DATE_OUT_OF_RANGE';
  const record = await ctx.deviceLookup(auth.deviceId);
  let secret = '0'.repeat(128);
  if (record?.sealedSecret != null) secret = ctx.secrets.open(record.sealedSecret, `device:${record.device.id}`);
  const toSign = stringToSign(
    req.timestamp,
    auth.signDate,
    createHash('sha256')
      .update(conformedRequest({ method: req.method, path: req.path, host: req.host, timestamp: req.timestamp, bodyHash: EMPTY }))
      .digest('hex'),
  );
  const expected = createHmac('sha256', signingKey(secret, auth.signDate)).update(toSign).digest('hex');
  const matches = timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(auth.signature, 'hex'));
  if (!record || record.sealedSecret === null || !matches) return 'INVALID_SIGNATURE';
  if (record.device.status !== 'active') return 'DEVICE_DISABLED';
  if (!(await guard.claim(record.device.id, auth.signature, at + 300_000, now))) return 'REPLAYED';
  return 'VALID';
}

// ---- a Keyward runtime with one device, as the server has it ----
const dir = mkdtempSync(join(tmpdir(), 'keyward-ctn1-micro-'));
const OPERATOR = { email: 'operator@bench.local', password: 'operator-password-1' };
const kw = await createKeyward(
  loadConfig(
    {},
    { databaseUrl: `sqlite:${join(dir, 'k.db')}`, dataDir: dir, bootstrapEmail: OPERATOR.email, bootstrapPassword: OPERATOR.password },
  ),
);
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
const admin = { email: 'admin@bench.local', name: 'Admin', password: 'admin-password-1' };
const accountId = (await call('POST', '/v1/accounts', { name: 'Bench', admin }, op)).account.id as string;
const adminToken = (await call('POST', '/v1/auth/login', { email: admin.email, password: admin.password })).token as string;
const created = await call('POST', `/v1/accounts/${accountId}/devices`, { name: 'd' }, adminToken);
const deviceId = created.device.id as string;
const secret = created.secret as string;

const now = Date.now();
const timestamp = formatTimestamp(now);
const signDate = timestamp.slice(0, 8);
const EMPTY = createHash('sha256').update('').digest('hex');
const N = (ROUNDS + 1) * BATCH;
const requests = Array.from({ length: N }, (_, i) => {
  const r = { method: 'GET', path: `/integration/device/status?n=${i}`, host: 'api.example.com', timestamp, bodyHash: EMPTY };
  return { ...r, authorization: formatAuthorization(deviceId, signDate, computeSignature(secret, signDate, r)) };
});
const ctx = kw.ctx;
ctx.now = () => now;
// The replay guard would refuse the requests of a second pass: give each variant its own fresh one.
const withGuard = () => ({ ...ctx, replay: new MemoryReplayGuard(10_000_000) });
const cachedCtx = withGuard();
const uncachedCtx = { ...withGuard(), deviceCache: undefined };
const guardBefore = new MemoryReplayGuardBefore(10_000_000);
let nA = 0;
let nB = 0;
let nC = 0;
const codes = new Set<string>();
await compare('verifySignedRequest, whole (device record cached, the bench request)', {
  'after (key cached, new parsing, new guard)': async () => {
    codes.add((await verifySignedRequest(cachedCtx, requests[nA++] as (typeof requests)[number])).code);
  },
  'after, key cache off (opened + derived per call)': async () => {
    codes.add((await verifySignedRequest(uncachedCtx, requests[nB++] as (typeof requests)[number])).code);
  },
  'before (the former verifier)': async () => {
    codes.add(await verifyBefore(ctx, guardBefore, requests[nC++] as (typeof requests)[number]));
  },
});
if (codes.size !== 1 || !codes.has('VALID')) throw new Error(`verification answered ${[...codes].join(', ')}`);

const sealed = (await ctx.deviceLookup(deviceId))?.sealedSecret as string;
const aad = `device:${deviceId}`;
await compare('signing key: AES-256-GCM open + two HMACs vs cache', {
  'open sealed secret + derive (before, per request)': () => signingKey(ctx.secrets.open(sealed, aad), signDate),
  'SigningKeyCache.get (after)': () =>
    ctx.deviceCache?.signingKeys.get({ deviceId, accountId, secretSource: 'own', sealed }, signDate, now) !== undefined,
});

const key = signingKey(secret, signDate);
const keyObject = createSecretKey(key);
const r0 = requests[0] as (typeof requests)[number];
await compare('final signature (conformed request hash + HMAC)', {
  'createHash + createHmac(Buffer key)': () =>
    createHmac('sha256', key)
      .update(stringToSign(timestamp, signDate, createHash('sha256').update(conformedRequest(r0)).digest('hex')))
      .digest(),
  'crypto.hash + createHmac(Buffer key)': () =>
    createHmac('sha256', key)
      .update(stringToSign(timestamp, signDate, hash('sha256', conformedRequest(r0), 'hex')))
      .digest(),
  'crypto.hash + createHmac(KeyObject)': () =>
    createHmac('sha256', keyObject)
      .update(stringToSign(timestamp, signDate, hash('sha256', conformedRequest(r0), 'hex')))
      .digest(),
});

await compare('timestamp + signDate parsing', {
  'regex + round-trip format (before)': () =>
    parseTimestampBefore(timestamp) !== null && parseTimestampBefore(`${signDate}T000000Z`) !== null,
  'character by character (after)': () => parseTimestamp(timestamp) !== null && parseSignDate(signDate) !== null,
});

// Replay guards fed at 5 000 signatures/s of simulated time (the bench's rate), one device: below
// their bound, and at it (filled with 100 000 pairs first, as the bench's row reaches after ~20 s).
const sig = (i: number) => i.toString(16).padStart(64, '0');
for (const [title, bound, prefill] of [
  ['replay guard claim, below its bound', 10_000_000, 0],
  ['replay guard claim, at its bound (100k pairs)', 100_000, 100_000],
] as const) {
  const before = new MemoryReplayGuardBefore(bound);
  const after = new MemoryReplayGuard(bound);
  let tb = 0;
  let ta = 0;
  const at = (i: number) => 1_700_000_000_000 + i * 0.2;
  const expiry = (t: number) => Math.floor(t / 1000) * 1000 + 300_000;
  for (; tb < prefill; tb++) await before.claim(deviceId, sig(tb), expiry(at(tb)), at(tb));
  for (; ta < prefill; ta++) after.claimNow(deviceId, sig(ta), expiry(at(ta)), at(ta));
  await compare(title, {
    'one Map, pruned from the front (before)': () => before.claim(deviceId, sig(tb), expiry(at(tb)), at(tb++)),
    'one Set per second of expiry (after)': () => after.claimNow(deviceId, sig(ta), expiry(at(ta)), at(ta++)),
  });
}

await kw.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
