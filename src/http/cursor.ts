import { z } from 'zod';
import { KeywardError } from '../core/errors.js';

/** Where a newest-first listing stopped: the last item's time and id, a total order even when times tie. */
export interface Position {
  createdAt: number;
  id: string;
}

const DECODED = /^(\d{1,15}):([A-Za-z0-9_]{1,64})$/;

/** Opaque to clients: base64url of `<createdAt>:<id>`. */
export function encodeCursor(p: Position): string {
  return Buffer.from(`${p.createdAt}:${p.id}`, 'utf8').toString('base64url');
}

/** The position a cursor names, or null for anything `encodeCursor` did not produce. */
export function decodeCursor(cursor: string): Position | null {
  if (!/^[A-Za-z0-9_-]{1,120}$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = DECODED.exec(text);
  if (!m || encodeCursor({ createdAt: Number(m[1]), id: m[2] as string }) !== cursor) return null;
  return { createdAt: Number(m[1]), id: m[2] as string };
}

export const Cursor = z
  .string()
  .max(120)
  .refine((s) => decodeCursor(s) !== null, 'not a cursor this API returned')
  .describe('`nextCursor` of the previous page; omit for the first page');

/**
 * Where a sorted listing (keys, applications, devices, users) stopped: the sort it was taken
 * under (`name.asc`), the last row's sort value and its id. Opaque to clients: base64url of
 * that triple as JSON.
 */
export interface ListPosition {
  sort: string;
  value: string | number;
  id: string;
}

const SORT_TAG = /^[A-Za-z]{1,20}\.(asc|desc)$/;
const ROW_ID = /^[A-Za-z0-9_]{1,64}$/;

export function encodeListCursor(p: ListPosition): string {
  return Buffer.from(JSON.stringify([p.sort, p.value, p.id]), 'utf8').toString('base64url');
}

/** The position a list cursor names, or null for anything `encodeListCursor` did not produce. */
export function decodeListCursor(cursor: string): ListPosition | null {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(cursor)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return null;
  const [sort, value, id] = parsed as unknown[];
  if (typeof sort !== 'string' || !SORT_TAG.test(sort) || typeof id !== 'string' || !ROW_ID.test(id)) return null;
  // No NUL: PostgreSQL refuses it in text (a forged cursor answered 500 there); no sort value the database returns holds one.
  const okValue =
    (typeof value === 'number' && Number.isSafeInteger(value)) ||
    (typeof value === 'string' && value.length <= 1024 && !value.includes('\u0000'));
  if (!okValue) return null;
  const p = { sort, value: value as string | number, id };
  return encodeListCursor(p) === cursor ? p : null;
}

export const ListCursor = z
  .string()
  .max(4096)
  .refine((s) => decodeListCursor(s) !== null, 'not a cursor this API returned')
  .describe('`nextCursor` of the previous page, taken with the same `sort` and `order`; omit for the first page');

/**
 * The query of a sorted, searchable, paged listing. Without `limit` the whole list comes back
 * in one answer (as before paging existed) and `nextCursor` is null.
 */
export function listQuery<const S extends readonly [string, ...string[]]>(sorts: S, searched: string) {
  return z.object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(500)
      .optional()
      .describe('Items per page (1–500). Omitted: every item in one answer, `nextCursor` null'),
    cursor: ListCursor.optional(),
    q: z.string().trim().max(200).optional().describe(`Case-insensitive substring of ${searched}; \`%\` and \`_\` match themselves`),
    sort: z.enum(sorts).default(sorts[0]).describe(`Sort key (default \`${sorts[0]}\`); ties are ordered by id`),
    order: z.enum(['asc', 'desc']).default('asc').describe('`asc` (default: oldest or A first) or `desc`'),
  });
}

/**
 * The start of the page a listing query asks for: after the cursor's row, provided the cursor
 * was taken under the same sort and order (else 400 VALIDATION_FAILED, never a page of another
 * ordering that would skip or repeat rows).
 */
export function afterOf(
  q: { cursor?: string | undefined; sort: string; order: 'asc' | 'desc' },
  numeric: boolean,
): { value: string | number; id: string } | undefined {
  if (q.cursor === undefined) return undefined;
  const p = decodeListCursor(q.cursor);
  if (p === null || p.sort !== `${q.sort}.${q.order}` || (typeof p.value === 'number') !== numeric) {
    const message = 'querystring.cursor: this cursor was taken with another sort or order; start again without it';
    throw new KeywardError('VALIDATION_FAILED', message, { issues: [{ path: 'querystring.cursor', message }] });
  }
  return { value: p.value, id: p.id };
}

/** `nextCursor` of a page: null on the last one. */
export function nextCursorOf(next: { value: string | number; id: string } | null, q: { sort: string; order: string }): string | null {
  return next === null ? null : encodeListCursor({ sort: `${q.sort}.${q.order}`, value: next.value, id: next.id });
}
