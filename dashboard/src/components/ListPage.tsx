import type { ReactNode } from 'react';
import type { PagedList } from '../hooks';
import { type Column, DataTable, LoadMore } from './DataTable';
import { EmptyState, ErrorBanner, LimitedButton, Loading } from './ui';

/** Rows per page on every list page. */
export const PAGE = 50;

/**
 * The list routes' common query from a page's URL query: a page of PAGE rows after `cursor`, its
 * sort and order, and the search and status filter when set. Every list route takes `active` as a
 * status; the server checks the value.
 */
export function pageQuery(query: { q: string; sort: string; order: string; status?: string }, cursor: string | undefined) {
  return {
    limit: PAGE,
    sort: query.sort as 'created',
    order: query.order as 'asc',
    ...(cursor !== undefined && { cursor }),
    ...(query.q && { q: query.q }),
    ...(query.status && { status: query.status as 'active' }),
  };
}

/** "Show revoked …" beside a list's controls: the URL query's `revoked=1`. */
export function ShowRevoked({
  label,
  values,
  onChange,
}: {
  label: string;
  values: { revoked: string };
  onChange(patch: { revoked: string }): void;
}) {
  return (
    <label className="toggle">
      <input type="checkbox" checked={values.revoked === '1'} onChange={(e) => onChange({ revoked: e.target.checked ? '1' : '' })} />
      {label}
    </label>
  );
}

/**
 * A "New" button disabled at an account limit, counting what is live now (`used`, undefined while
 * it loads): the reason reads "3 of 3 active applications: revoke one to create another."
 */
export function LimitButton({
  used,
  max,
  what,
  advice = 'revoke one to create another.',
  onClick,
  children,
}: {
  used: number | undefined;
  max: number;
  /** What is counted, e.g. "active access keys". */
  what: string;
  advice?: string;
  onClick(): void;
  children?: ReactNode;
}) {
  return (
    <LimitedButton used={used ?? 0} max={max} reason={`${used} of ${max} ${what}: ${advice}`} onClick={onClick}>
      {children}
    </LimitedButton>
  );
}

/**
 * The body of a paged list page under its controls: the load error, skeleton, the empty state (or
 * "No matching …" when a search or filter is set), the table and Load more.
 */
export function PagedTable<T>({
  list,
  caption,
  columns,
  rowKey,
  actions,
  errorTitle,
  banner,
  notice,
  filtered,
  noun,
  more = noun,
  empty,
}: {
  list: PagedList<T>;
  caption: string;
  columns: readonly Column<T>[];
  rowKey(row: T): string;
  actions?: (row: T) => ReactNode;
  /** The banner's title when the list cannot be loaded. */
  errorTitle: string;
  /** Replaces the error banner (e.g. a notice that the server lacks the feature). */
  banner?: ReactNode;
  /** Shown above the table when it has rows (e.g. that the application is revoked). */
  notice?: ReactNode;
  /** A search or filter is set: an empty list says "No matching …". */
  filtered: boolean;
  /** Plural, lower case: "access keys". */
  noun: string;
  /** What "Change the search or the filters to see more …" names (default: noun). */
  more?: string;
  /** The empty state when nothing is filtered. */
  empty: ReactNode;
}) {
  const rows = list.items;
  return (
    <>
      {banner ?? <ErrorBanner error={list.error} title={errorTitle} />}
      {rows.length > 0 && notice}
      {list.loading && rows.length === 0 ? (
        <Loading />
      ) : list.error && rows.length === 0 ? null : rows.length === 0 ? (
        filtered ? (
          <EmptyState title={`No matching ${noun}`}>Change the search or the filters to see more {more}.</EmptyState>
        ) : (
          empty
        )
      ) : (
        <>
          <DataTable caption={caption} columns={columns} rows={rows} rowKey={rowKey} actions={actions} />
          <LoadMore shown={rows.length} hasMore={list.hasMore} loading={list.loading} onMore={list.loadMore} />
        </>
      )}
    </>
  );
}
