/** Kept free of browser globals so a unit test (test/unit/dashboard-next.test.ts) can run it in Node. */
/**
 * Where to go after signing in: `next` only when it is a path of this dashboard (starts with one
 * "/", same origin once resolved, not the sign-in page); anything else — absolute URLs,
 * protocol-relative "//evil.example", "/\evil.example", javascript: — falls back to "/". No open redirect.
 */
export function safeNextPath(raw: string | null | undefined, origin: string): string {
  if (!raw?.startsWith('/') || raw.startsWith('//')) return '/';
  // Browsers read a backslash as "/" and drop tabs and newlines: "/" + backslash + "evil.example" is "//evil.example".
  if ([...raw].some((c) => c === '\\' || c.charCodeAt(0) < 0x20)) return '/';
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return '/';
  }
  if (url.origin !== origin || url.pathname === '/login' || url.pathname.startsWith('/v1/')) return '/';
  return url.pathname + url.search + url.hash;
}
