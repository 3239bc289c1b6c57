import { connect, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket | null;
  /** Held open by a blackhole: nothing passes any more. */
  stalled: boolean;
}

/**
 * A TCP proxy a test can break the way a network breaks, between Keyward and a real
 * PostgreSQL or Redis:
 * - `forward`: bytes flow both ways;
 * - `reset`: every open connection is reset and every new one is reset on accept (a database
 *   restart, a TCP reset, a server that refuses);
 * - `blackhole`: open connections stay open but nothing passes any more, and new ones are
 *   accepted and then ignored (a cut network: no answer, no error, ever);
 * - `refuse`: open connections keep forwarding, new ones are reset on accept (a connection
 *   that is lost cannot be replaced, while the others carry on).
 */
export class TcpProxy {
  private mode: 'forward' | 'reset' | 'blackhole' | 'refuse' = 'forward';
  private readonly pairs = new Set<Pair>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }, mode: 'forward' | 'reset' = 'forward'): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy?.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    proxy = new TcpProxy(server, address.port, target);
    proxy.mode = mode;
    return proxy;
  }

  /** Connections currently held, forwarding or not. */
  get connections(): number {
    return this.pairs.size;
  }

  cut(how: 'reset' | 'blackhole' | 'refuse'): void {
    this.mode = how;
    if (how === 'refuse') return;
    for (const pair of this.pairs) {
      if (how === 'reset') this.drop(pair);
      else this.stall(pair);
    }
  }

  /** Back to forwarding. Connections stalled by a blackhole are dropped: their peers gave up on them. */
  reopen(): void {
    this.mode = 'forward';
    for (const pair of this.pairs) if (pair.stalled) this.drop(pair);
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) this.drop(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    if (this.mode === 'reset' || this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: null, stalled: this.mode === 'blackhole' };
    this.pairs.add(pair);
    client.on('close', () => this.drop(pair));
    if (this.mode === 'blackhole') {
      client.pause();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.on('error', () => {});
    upstream.on('close', () => this.drop(pair));
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private stall(pair: Pair): void {
    pair.stalled = true;
    pair.client.unpipe();
    pair.upstream?.unpipe();
    pair.client.pause();
    pair.upstream?.pause();
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.resetAndDestroy();
    pair.upstream?.destroy();
  }
}
