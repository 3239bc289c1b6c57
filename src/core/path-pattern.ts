/**
 * Path patterns of catalogue grants, and the canonical form of a request path they are
 * matched against. A pattern is a list of `/`-separated segments:
 * - a literal segment matches exactly that (decoded, case-sensitive) segment;
 * - `:name` matches exactly one non-empty segment;
 * - a final `*` (`/prefix/*`) matches one or more further segments.
 */
export type Segment = { literal: string } | { param: string } | { rest: true };

export interface PathPattern {
  source: string;
  segments: Segment[];
}

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/;
// RFC 3986 pchar without percent-escapes: patterns are written decoded.
const LITERAL = /^[A-Za-z0-9\-._~!$&'()+,;=@]+$/;

/** Parses a pattern; returns a human-readable reason instead when it is not a valid one. */
export function parsePathPattern(source: string): PathPattern | string {
  if (!source.startsWith('/')) return 'must start with "/"';
  if (source === '/*') return { source, segments: [{ rest: true }] };
  const parts = source.slice(1).split('/');
  const segments: Segment[] = [];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    if (part === '*') {
      if (!last) return '"*" is only allowed as the last segment ("/prefix/*")';
      segments.push({ rest: true });
    } else if (part.startsWith(':')) {
      if (!PARAM.test(part)) return `bad parameter segment "${part}" (use :name with letters, digits, _)`;
      segments.push({ param: part.slice(1) });
    } else if (part === '') {
      return 'empty segment ("//" or a trailing "/")';
    } else if (part === '.' || part === '..') {
      return 'dot segments are not allowed';
    } else if (!LITERAL.test(part)) {
      return `segment "${part}" has characters not allowed in a path (no "*", "?", "#", "%", spaces)`;
    } else {
      segments.push({ literal: part });
    }
  }
  return { source, segments };
}

/**
 * Splits a request URI into decoded path segments, ignoring the query string. Returns
 * undefined for a path that is not canonical (dot segments, empty segments, encoded
 * slashes, bad escapes): an upstream might resolve such a path to something other than
 * what was matched, so it never matches any pattern.
 */
export function canonicalSegments(uri: string): string[] | undefined {
  const path = pathOfUri(uri);
  if (!path.startsWith('/')) return undefined;
  if (path === '/') return [];
  const out: string[] = [];
  for (const raw of path.slice(1).split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (seg === '' || seg === '.' || seg === '..' || seg.includes('/') || seg.includes('\\') || seg.includes('\0')) return undefined;
    out.push(seg);
  }
  return out;
}

/** The path of a request URI: everything before its query (`?`) or fragment (`#`). */
export function pathOfUri(uri: string): string {
  const q = uri.indexOf('?');
  const h = uri.indexOf('#');
  const end = q === -1 ? h : h === -1 ? q : Math.min(q, h);
  return end === -1 ? uri : uri.slice(0, end);
}

export function matchesPath(pattern: PathPattern, segments: readonly string[]): boolean {
  const p = pattern.segments;
  for (const [i, s] of p.entries()) {
    if ('rest' in s) return segments.length > i;
    const seg = segments[i];
    if (seg === undefined) return false;
    if ('literal' in s && s.literal !== seg) return false;
  }
  return segments.length === p.length;
}
