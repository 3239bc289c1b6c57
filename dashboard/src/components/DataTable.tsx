import { type ReactNode, useEffect, useId, useState } from 'react';
import { useDebounced } from '../hooks';

/**
 * The one table every list page uses. Wide screens: a table whose actions column stays in view
 * (sticky on the right), so Delete/Revoke never hide behind a horizontal scroll. Narrow screens
 * (≤ 640 px): each row stacks into a card of label/value lines, actions last, and the page never
 * scrolls sideways.
 */
export interface Column<T> {
  /** Header text; also the label of the value in stacked rows. */
  label: string;
  cell(row: T): ReactNode;
  className?: string;
  /** Header shown only to screen readers (e.g. an icon column). */
  hiddenLabel?: boolean;
}

export function DataTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  actions,
}: {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey(row: T): string;
  /** Row actions (buttons); rendered in a column that stays visible. */
  actions?: (row: T) => ReactNode;
}) {
  return (
    <div className="table-wrap dt-wrap">
      <table className="table table-stack dt">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" className={c.className}>
                {c.hiddenLabel ? <span className="sr-only">{c.label}</span> : c.label}
              </th>
            ))}
            {actions && (
              <th scope="col" className="dt-actions">
                <span className="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.label} data-label={c.label} className={c.className}>
                  {c.cell(r)}
                </td>
              ))}
              {actions && <td className="row-actions dt-actions">{actions(r)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export interface Choice {
  value: string;
  label: string;
}

export interface FilterSpec {
  /** The URL query key. */
  name: string;
  label: string;
  /** The first choice is the "no filter" one (its value: ''). */
  choices: readonly Choice[];
}

/**
 * Search box, sort, order and filters above a list. `values` and `onChange` are the page's URL
 * query (hooks.ts useUrlQuery), so whatever is chosen survives reload and shared links.
 */
export function ListControls({
  values,
  onChange,
  searchLabel,
  sorts,
  filters = [],
  children,
}: {
  values: Record<string, string>;
  onChange(patch: Record<string, string>): void;
  searchLabel: string;
  sorts: readonly Choice[];
  filters?: readonly FilterSpec[];
  children?: ReactNode;
}) {
  const id = useId();
  const [text, setText] = useState(values.q ?? '');
  const typed = useDebounced(text, 300);
  // biome-ignore lint/correctness/useExhaustiveDependencies: push the debounced text only.
  useEffect(() => {
    if (typed.trim() !== (values.q ?? '')) onChange({ q: typed.trim() });
  }, [typed]);
  // Back/forward or a reset changes the URL: follow it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow the URL only.
  useEffect(() => {
    if ((values.q ?? '') !== text.trim()) setText(values.q ?? '');
  }, [values.q]);
  return (
    <search className="list-controls">
      <div className="list-search">
        <label htmlFor={`${id}-q`} className="sr-only">
          {searchLabel}
        </label>
        <input
          id={`${id}-q`}
          type="search"
          placeholder={searchLabel}
          maxLength={200}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </div>
      <div className="list-selects">
        <label className="list-select">
          <span>Sort</span>
          <select value={values.sort} onChange={(e) => onChange({ sort: e.target.value })}>
            {sorts.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button button-small list-order"
          title={values.order === 'desc' ? 'Descending order: switch to ascending' : 'Ascending order: switch to descending'}
          onClick={() => onChange({ order: values.order === 'desc' ? 'asc' : 'desc' })}
        >
          {/* The visible words are the accessible name (axe label-content-name-mismatch); the arrow is decoration. */}
          <span aria-hidden="true">{values.order === 'desc' ? '↓ ' : '↑ '}</span>
          {values.order === 'desc' ? 'Descending order' : 'Ascending order'}
        </button>
        {filters.map((f) => (
          <label key={f.name} className="list-select">
            <span>{f.label}</span>
            <select value={values[f.name] ?? ''} onChange={(e) => onChange({ [f.name]: e.target.value })}>
              {f.choices.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          </label>
        ))}
        {children}
      </div>
    </search>
  );
}

/** Below a paged list: how many are shown and a button for the next page. */
export function LoadMore({ shown, hasMore, loading, onMore }: { shown: number; hasMore: boolean; loading: boolean; onMore(): void }) {
  if (!hasMore && shown === 0) return null;
  return (
    <div className="load-more list-footer">
      <span className="muted small" aria-live="polite">
        {shown} shown{hasMore ? '' : ' · all loaded'}
      </span>
      {hasMore && (
        <button type="button" className="button" disabled={loading} onClick={onMore}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}
