import type { Config } from '../config.js';

/** A database URL without its password, for display. */
export function displayStore(databaseUrl: string): string {
  if (!/^postgres(ql)?:/.test(databaseUrl)) return databaseUrl;
  try {
    const u = new URL(databaseUrl);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * What `keyward serve` prints once it listens: where to go, where the data lives and who signs in
 * first, after any one-time notices (a generated operator password, ignored bootstrap settings).
 */
export function startBanner(
  operator: string | undefined,
  config: Config,
  address: string,
  notices: readonly string[],
  workers = 1,
): string {
  const lines = [
    '',
    ...notices.flatMap((n) => [n, '']),
    `Keyward listening on ${address}${workers > 1 ? ` (${workers} worker processes)` : ''}`,
    `  API        ${address}/v1   (OpenAPI document: ${address}/openapi.json)`,
    `  Dashboard  ${address}/`,
    `  Store      ${displayStore(config.databaseUrl)}${config.databaseUrl.startsWith('sqlite:') ? `   (data dir ${config.dataDir})` : ''}`,
    `  Operator   ${operator ?? '(none yet)'}`,
    ...(config.upstream ? [`  Proxy      authorized requests are forwarded to ${config.upstream}`] : []),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
