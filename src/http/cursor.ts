import { z } from 'zod';

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
