/**
 * better-sqlite3 result codes for "the file cannot be used right now": locked by another
 * process beyond busy_timeout (BUSY, LOCKED), an I/O failure, a full disk, or a file that
 * cannot be opened. Extended codes (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT…) share the prefix.
 */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN)(_|$)/;

export function isSqliteUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && UNAVAILABLE.test(code);
}
