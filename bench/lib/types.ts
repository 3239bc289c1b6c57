export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** One body, or several rotated request by request. */
  bodies?: string[];
  /** Extra headers rotated request by request (one set per request, e.g. a bearer key each). */
  headerSets?: Record<string, string>[];
  connections: number;
  durationSeconds: number;
  /**
   * Pause of each connection between a response and its next request (wrk's delay(), whole
   * milliseconds): how a fixed fraction of the maximum load is paced. Absent = no pause.
   */
  delayMs?: number;
  /**
   * Sign every request as this device (CTN1-HMAC-SHA256), each with a distinct query so no
   * signature repeats: replay protection must accept every one, as with real devices.
   */
  ctn1?: { deviceId: string; secret: string; host: string; path: string };
}

export interface LoadResult {
  requestsPerSecond: number;
  totalRequests: number;
  /** Every request's latency as wrk measured it (write of the request to end of the response), µs. */
  latencyUs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** Responses with a status of 400 or more. */
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
  /**
   * Keys with no, one and three (never reached) rate limits, and one already over its limit
   * (bench/ratelimit.ts). The peer has no `three`: better-auth has one limit per key.
   */
  ratelimitKeys?: Partial<Record<'none' | 'one' | 'three' | 'over', string>>;
}

/** Latencies timed one by one in-process (the store lookup at scale), µs. */
export interface LatencySample {
  samples: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
}
