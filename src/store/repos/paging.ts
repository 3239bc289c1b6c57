import { type Expression, type RawBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';

/**
 * Keyset paging, search and sorting shared by the list queries (keys, applications, devices,
 * users). A listing is ordered by (sort key, id), both in one direction, so rows whose sort
 * keys tie keep a fixed order; the next page starts strictly after the last row's pair.
 * The sort key is computed by the database and read back with each row (`sort_key`), so a
 * cursor carries the database's own value (e.g. its `lower(name)`), never one JavaScript
 * recomputed differently.
 */
export type SortValue = string | number;

/** What a listing sorts by: an expression the database computes, and whether its values are numbers. */
export interface SortKey {
  expr: RawBuilder<SortValue>;
  numeric: boolean;
}

export interface Paging {
  /** Rows per page; omitted: every row (the lists' answer before paging existed). */
  limit?: number | undefined;
  /** Direction of the sort key and of the id that breaks its ties. */
  order: 'asc' | 'desc';
  /** The last row of the previous page. */
  after?: { value: SortValue; id: string } | undefined;
}

export interface Page<T> {
  items: T[];
  /** The last row's position when more rows follow, else null. */
  next: { value: SortValue; id: string } | null;
}

/** `lower(col) LIKE lower('%q%')` with `%`, `_` and `\` in q taken literally, on any of `columns`. */
export function matchesAny(columns: readonly string[], q: string): Expression<SqlBool> {
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const parts = columns.map((c) => sql<SqlBool>`lower(${sql.ref(c)}) like lower(${pattern}) escape '\\'`);
  return sql<SqlBool>`(${sql.join(parts, sql` or `)})`;
}

type AnySelect = SelectQueryBuilder<any, any, any>;

/**
 * Orders `qb` by (key, idColumn), starts after `paging.after`, selects the key as `sort_key`,
 * and fetches one row more than the page to tell whether more follow.
 */
export function keyset<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  sort: SortKey,
  idColumn: string,
  paging: Paging,
): SelectQueryBuilder<DB, TB, O & { sort_key: SortValue }> {
  const key = sort.expr;
  const dir = paging.order === 'desc' ? sql.raw('desc') : sql.raw('asc');
  const op = sql.raw(paging.order === 'desc' ? '<' : '>');
  const id = sql.ref(idColumn);
  let out = (qb as AnySelect).select(sql<SortValue>`${key}`.as('sort_key')) as AnySelect;
  const after = paging.after;
  if (after !== undefined) {
    out = out.where(sql<SqlBool>`(${key} ${op} ${after.value} or (${key} = ${after.value} and ${id} ${op} ${after.id}))`);
  }
  out = out.orderBy(sql`${key} ${dir}`).orderBy(sql`${id} ${dir}`);
  if (paging.limit !== undefined) out = out.limit(paging.limit + 1);
  return out as SelectQueryBuilder<DB, TB, O & { sort_key: SortValue }>;
}

/** Cuts the extra row `keyset` fetched and names where the next page starts. */
export function pageOf<R extends { sort_key: unknown; id: string }, T>(
  rows: R[],
  sort: SortKey,
  paging: Paging,
  map: (r: R) => T,
): Page<T> {
  const limit = paging.limit;
  const more = limit !== undefined && rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  const value = last?.sort_key;
  return {
    items: kept.map(map),
    // PostgreSQL may hand back a bigint as a string: a numeric key is always a number in a cursor.
    next: more && last ? { value: sort.numeric ? Number(value) : String(value), id: last.id } : null,
  };
}
