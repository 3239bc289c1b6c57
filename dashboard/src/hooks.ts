import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { onNavigate } from './router';

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Loads data for a page; stale answers (the user switched account meanwhile) are dropped. */
export function useAsync<T>(load: () => Promise<T>, deps: DependencyList): Async<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller lists what `load` depends on.
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => mine === seq.current && setState({ data, error: undefined, loading: false }),
      (error) => mine === seq.current && setState({ data: undefined, error, loading: false }),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/**
 * A page's search, sort and filters, kept in the URL query so that reload, Back and a shared link
 * keep them. `set` replaces the current history entry (typing in a search box adds no entries);
 * empty values and values equal to the page's defaults are dropped from the URL.
 */
export function useUrlQuery<K extends string>(
  defaults: Record<K, string>,
): [Record<K, string>, (patch: Partial<Record<K, string>>) => void] {
  const defs = useRef(defaults);
  const read = useCallback(() => {
    const params = new URLSearchParams(location.search);
    const out = { ...defs.current };
    for (const k of Object.keys(out) as K[]) {
      const v = params.get(k);
      if (v !== null) out[k] = v;
    }
    return out;
  }, []);
  const [state, setState] = useState(read);
  useEffect(() => {
    // Back/forward, and a link to this same page (the sidebar's link of the list on screen opens it
    // unfiltered): the URL changed without a new page, so the query follows it. A navigation to
    // another page is left to that page.
    const page = location.pathname;
    const update = () => {
      if (location.pathname === page) setState(read());
    };
    window.addEventListener('popstate', update);
    const off = onNavigate(update);
    return () => {
      window.removeEventListener('popstate', update);
      off();
    };
  }, [read]);
  const set = useCallback((patch: Partial<Record<K, string>>) => {
    setState((prev) => {
      const next = { ...prev, ...patch };
      const params = new URLSearchParams(location.search);
      for (const k of Object.keys(defs.current) as K[]) {
        const v = next[k];
        if (v === '' || v === defs.current[k]) params.delete(k);
        else params.set(k, v);
      }
      const search = params.toString();
      history.replaceState(history.state, '', `${location.pathname}${search ? `?${search}` : ''}`);
      return next;
    });
  }, []);
  return [state, set];
}

/** A value that follows `value` once it has stopped changing for `ms` (search as you type). */
export function useDebounced<T>(value: T, ms = 250): T {
  const [out, setOut] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setOut(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return out;
}

export interface PagedList<T> {
  items: T[];
  error: unknown;
  loading: boolean;
  /** More rows follow on the server. */
  hasMore: boolean;
  loadMore(): void;
  reload(): void;
}

/**
 * Server-side pages: the first page whenever `deps` change, then "Load more" appends the page
 * after the last cursor. Stale answers (the filters changed meanwhile) are dropped.
 */
export function usePagedList<T>(
  load: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  deps: DependencyList,
): PagedList<T> {
  const [state, setState] = useState<{ items: T[]; next: string | null; error: unknown; loading: boolean }>({
    items: [],
    next: null,
    error: undefined,
    loading: true,
  });
  const seq = useRef(0);
  const [tick, setTick] = useState(0);
  const fetchPage = useCallback(
    (cursor: string | undefined) => {
      const mine = ++seq.current;
      setState((s) => ({ ...s, loading: true, error: undefined }));
      load(cursor).then(
        (r) =>
          mine === seq.current &&
          setState((s) => ({
            items: cursor === undefined ? r.items : [...s.items, ...r.items],
            next: r.nextCursor,
            error: undefined,
            loading: false,
          })),
        (error) => mine === seq.current && setState((s) => ({ ...s, error, loading: false })),
      );
    },
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller lists what `load` depends on.
    deps,
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload on new filters or an explicit reload.
  useEffect(() => fetchPage(undefined), [fetchPage, tick]);
  return {
    items: state.items,
    error: state.error,
    loading: state.loading,
    hasMore: state.next !== null,
    loadMore: () => state.next !== null && fetchPage(state.next),
    reload: () => setTick((t) => t + 1),
  };
}
