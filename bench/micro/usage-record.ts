/**
 * In-process microbenchmark of usage recording on the request path (issue #12): `record` (a key's
 * use) beside `recordDevice` (a signed device request), as CPU ns per call in interleaved batches,
 * median of the rounds, over 1,000 distinct ids. Nothing is flushed: only the Map update is timed.
 *
 *   npx tsx bench/micro/usage-record.ts
 *
 * Env: BATCH (calls per batch, default 1000000), ROUNDS (default 9).
 */

import { UsageRecorder } from '../../src/service/usage-recorder.js';
import type { Store } from '../../src/store/store.js';

const BATCH = Number(process.env.BATCH ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 9);
const recorder = new UsageRecorder({} as Store, 3_600_000);
const ids = Array.from({ length: 1000 }, (_, i) => `dev_${i.toString().padStart(16, '0')}`);
const now = Date.now();
const variants = {
  record: (id: string, at: number) => recorder.record(id, at),
  recordDevice: (id: string, at: number) => recorder.recordDevice(id, at),
  recordDeviceRejected: (id: string, at: number) => recorder.recordDeviceRejected(id, at),
};
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((n) => [n, []]));
for (let r = -1; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(variants)) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < BATCH; i++) fn(ids[i % ids.length] as string, now + i);
    const d = process.cpuUsage(t0);
    if (r >= 0) samples[name]?.push(((d.user + d.system) * 1000) / BATCH);
  }
}
for (const [name, s] of Object.entries(samples)) {
  s.sort((a, b) => a - b);
  console.log(`${name.padEnd(22)} ${(s[Math.floor(s.length / 2)] ?? 0).toFixed(1)} ns/call (median of ${s.length})`);
}
