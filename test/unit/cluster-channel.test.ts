import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/auth/login-throttle.js';
import { RemoteReplayGuard, RemoteThrottleStore, serveMachineShared } from '../../src/auth/machine-shared.js';
import { MemoryReplayGuard } from '../../src/auth/replay-cache.js';
import { MemoryThrottleStore } from '../../src/auth/throttle-store.js';
import { type IpcEnd, PrimaryChannel, WorkerChannel } from '../../src/cluster/channel.js';

/** Two ends of an in-process pipe, delivering asynchronously like IPC, counting messages sent each way. */
function pipe() {
  const a = new EventEmitter();
  const b = new EventEmitter();
  const sent = { toPrimary: 0, toWorker: 0 };
  const worker: IpcEnd = {
    send: (m) => {
      sent.toPrimary++;
      setImmediate(() => b.emit('message', structuredClone(m)));
    },
    on: (e, l) => a.on(e, l),
    off: (e, l) => a.off(e, l),
  };
  const primary: IpcEnd = {
    send: (m) => {
      sent.toWorker++;
      setImmediate(() => a.emit('message', structuredClone(m)));
    },
    on: (e, l) => b.on(e, l),
    off: (e, l) => b.off(e, l),
  };
  return { worker, primary, sent };
}

describe('cluster channel', () => {
  it('answers calls by topic, batches a burst into one message each way, and reports handler errors and unknown topics', async () => {
    const p = pipe();
    const primary = new PrimaryChannel();
    primary.handle('add', (x) => (x as number) + 1);
    primary.handle('later', async (x) => `got ${x}`);
    primary.handle('fails', () => {
      throw new Error('nope');
    });
    primary.attach(p.primary, 1);
    const w = new WorkerChannel(p.worker);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => w.call('add', i)));
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(p.sent).toEqual({ toPrimary: 1, toWorker: 1 });
    expect(await w.call('later', 'x')).toBe('got x');
    await expect(w.call('fails', null)).rejects.toThrow('nope');
    await expect(w.call('nothing', null)).rejects.toThrow('no handler for topic nothing');
    expect(w.pending).toBe(0);
  });

  it('a call the primary never answers rejects at its timeout', async () => {
    const p = pipe();
    const w = new WorkerChannel(p.worker, 50);
    await expect(w.call('x', 1)).rejects.toThrow('no answer within 50 ms');
  });

  it('two workers share one replay guard and one throttle through the primary', async () => {
    const p1 = pipe();
    const p2 = pipe();
    const primary = new PrimaryChannel();
    serveMachineShared(primary, new MemoryReplayGuard(), new MemoryThrottleStore());
    primary.attach(p1.primary, 1);
    primary.attach(p2.primary, 2);
    const w1 = new WorkerChannel(p1.worker);
    const w2 = new WorkerChannel(p2.worker);
    const g1 = new RemoteReplayGuard(w1);
    const g2 = new RemoteReplayGuard(w2);
    const now = Date.now();
    const claims = await Promise.all([g1.claim('dev', 'sig', now + 1000, now), g2.claim('dev', 'sig', now + 1000, now)]);
    expect(claims.sort()).toEqual([false, true]);
    const t1 = new LoginThrottle(new RemoteThrottleStore(w1));
    const t2 = new LoginThrottle(new RemoteThrottleStore(w2));
    for (let i = 0; i < 5; i++) expect(await (i % 2 ? t1 : t2).admit('a@b.c', '1.2.3.4', now)).toBe(0);
    expect(await t1.admit('a@b.c', '1.2.3.4', now)).toBeGreaterThan(0);
  });
});
