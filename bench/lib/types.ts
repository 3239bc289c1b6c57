export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** One body, or several rotated request by request. */
  bodies?: string[];
  connections: number;
  durationSeconds: number;
  /** Open-loop rate (requests/s over all connections); absent = as fast as possible. */
  overallRate?: number;
  /**
   * Sign every request as this device (CTN1-HMAC-SHA256), each with a distinct query so no
   * signature repeats: replay protection must accept every one, as with real devices.
   */
  ctn1?: { deviceId: string; secret: string; host: string; path: string };
}

export interface LoadResult {
  requestsPerSecond: number;
  totalRequests: number;
  /** autocannon's histogram has whole-millisecond resolution: 0 means under 1 ms. */
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** What a target server reports over IPC once it listens. */
export interface Ready {
  ready: true;
  port: number;
  key?: string;
  /** Extra material a target may need (sample keys, notes). */
  keys?: string[];
  routes?: string[];
  note?: string;
  /** A device for the signed-request targets. */
  device?: { id: string; secret: string };
}
