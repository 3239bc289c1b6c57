/** Where failed background flushes are reported: once when they start failing, once when one succeeds again. */
export interface FlushLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * The timer and ordering every buffered writer shares (usage, quota spends): `run` writes what
 * is buffered, one write after another however often it is called; `start` writes every
 * interval and logs a failing streak once when it starts and once when it ends (the writer keeps
 * what failed for the next write); `stop` ends the timer and writes the rest.
 */
export class PeriodicFlush {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly report: { failed: string; recovered: string; backlog: () => Record<string, number> },
  ) {}

  run(): Promise<void> {
    const run = this.chain.then(() => this.write());
    this.chain = run.catch(() => {});
    return run;
  }

  start(log?: FlushLogger): void {
    if (this.timer) return;
    let failing = false;
    this.timer = setInterval(() => {
      this.run().then(
        () => {
          if (failing) log?.info({}, this.report.recovered);
          failing = false;
        },
        (err: unknown) => {
          if (failing) return;
          failing = true;
          log?.warn({ err: { message: err instanceof Error ? err.message : String(err) }, ...this.report.backlog() }, this.report.failed);
        },
      );
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.run();
  }
}
