/**
 * One small request/response channel between cluster workers and their primary, for the state
 * that must be exact on the whole machine without Redis (the replay guard, the sign-in
 * throttle, later the rate limiter): a worker `call(topic, payload)`s, the primary answers from
 * the handler registered for that topic. Calls made while the worker handles one batch of
 * I/O go out as one IPC message (and their answers come back as one), so a burst of signed
 * requests costs one serialisation and one pipe write each way, not one per request.
 *
 * Generic on purpose: it knows topics, not features. Payloads and answers are JSON values.
 */

/** What a feature needs of the channel: the worker side, as an interface so tests can fake it. */
export interface ClusterCaller {
  call<T = unknown>(topic: string, payload: unknown): Promise<T>;
}

/** A handler on the primary: may answer synchronously or with a promise; a throw becomes the caller's rejection. */
export type ClusterHandler = (payload: unknown, fromWorker: number) => unknown;

/** The longest a call waits for the primary before it rejects (the primary is on the same machine: this means it is stuck). */
export const CALL_TIMEOUT_MS = 2000;

const MARK = 'keyward:channel';

interface Call {
  id: number;
  topic: string;
  payload: unknown;
}
interface Answer {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}
interface CallBatch {
  [MARK]: 'calls';
  calls: Call[];
}
interface AnswerBatch {
  [MARK]: 'answers';
  answers: Answer[];
}

/** Minimal view of a process end of the IPC pipe (node:cluster's Worker and `process` in a worker both fit). */
export interface IpcEnd {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

function isBatch<K extends 'calls' | 'answers'>(m: unknown, kind: K): m is K extends 'calls' ? CallBatch : AnswerBatch {
  return typeof m === 'object' && m !== null && (m as Record<string, unknown>)[MARK] === kind;
}

/** Queues items and hands them over once per turn of the event loop, after the current I/O phase. */
function batcher<T>(flush: (items: T[]) => void): (item: T) => void {
  let queue: T[] = [];
  let scheduled = false;
  return (item) => {
    queue.push(item);
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      const items = queue;
      queue = [];
      scheduled = false;
      flush(items);
    });
  };
}

/** The worker's side: `call` sends to the primary and resolves with its answer, or rejects after `timeoutMs`. */
export class WorkerChannel implements ClusterCaller {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private readonly enqueue: (c: Call) => void;
  private readonly listener = (m: unknown) => {
    if (!isBatch(m, 'answers')) return;
    for (const a of m.answers) {
      const w = this.waiting.get(a.id);
      if (!w) continue; // already timed out
      this.waiting.delete(a.id);
      clearTimeout(w.timer);
      if (a.ok) w.resolve(a.value);
      else w.reject(new Error(`primary: ${a.error ?? 'call failed'}`));
    }
  };

  constructor(
    private readonly end: IpcEnd,
    private readonly timeoutMs = CALL_TIMEOUT_MS,
  ) {
    end.on('message', this.listener);
    this.enqueue = batcher((calls) => {
      try {
        this.end.send({ [MARK]: 'calls', calls } satisfies CallBatch);
      } catch (e) {
        // The pipe is gone (the primary died): fail these calls now rather than at their timeout.
        for (const c of calls) this.settleFailed(c.id, e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  call<T = unknown>(topic: string, payload: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => this.settleFailed(id, new Error(`cluster call ${topic} got no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      timer.unref();
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.enqueue({ id, topic, payload });
    });
  }

  /** Calls still waiting for an answer (for tests). */
  get pending(): number {
    return this.waiting.size;
  }

  close(): void {
    this.end.off('message', this.listener);
    for (const id of [...this.waiting.keys()]) this.settleFailed(id, new Error('cluster channel closed'));
  }

  private settleFailed(id: number, e: Error): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    w.reject(e);
  }
}

/** The primary's side: a registry of topic handlers, answering every attached worker. */
export class PrimaryChannel {
  private readonly handlers = new Map<string, ClusterHandler>();

  handle(topic: string, handler: ClusterHandler): void {
    if (this.handlers.has(topic)) throw new Error(`cluster topic ${topic} already has a handler`);
    this.handlers.set(topic, handler);
  }

  /** Answers one worker's calls; returns a function that detaches it. */
  attach(end: IpcEnd, workerNumber: number): () => void {
    const reply = batcher<Answer>((answers) => {
      try {
        end.send({ [MARK]: 'answers', answers } satisfies AnswerBatch);
      } catch {
        // The worker is gone; its calls die with it.
      }
    });
    const listener = (m: unknown) => {
      if (!isBatch(m, 'calls')) return;
      for (const c of m.calls) this.answer(c, workerNumber, reply);
    };
    end.on('message', listener);
    return () => end.off('message', listener);
  }

  private answer(c: Call, workerNumber: number, reply: (a: Answer) => void): void {
    const handler = this.handlers.get(c.topic);
    if (!handler) {
      reply({ id: c.id, ok: false, error: `no handler for topic ${c.topic}` });
      return;
    }
    const fail = (e: unknown) => reply({ id: c.id, ok: false, error: e instanceof Error ? e.message : String(e) });
    try {
      const out = handler(c.payload, workerNumber);
      if (out instanceof Promise) out.then((value) => reply({ id: c.id, ok: true, value }), fail);
      else reply({ id: c.id, ok: true, value: out });
    } catch (e) {
      fail(e);
    }
  }
}
