import { useCallback, useEffect, useRef, useState } from 'react';

import type { BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import type { Page } from '../bindings/Page';

export interface KeysetList<T> {
  items: T[];
  /** The cursor of the next page; null on the last page. */
  next: string | null;
  loading: boolean;
  loadingMore: boolean;
  error: BackendError | null;
  loadMore: () => Promise<void>;
  reload: () => void;
  /** Replace one item in place (after a command returned it). */
  replace: (match: (item: T) => boolean, item: T) => void;
}

/**
 * A list read page by page with keyset cursors: the first page when `key` changes, then each
 * `loadMore` appends the page after `next`. Never page numbers.
 */
export function useKeysetList<T>(fetchPage: (after: string | null) => Promise<Page<T>>, key: string): KeysetList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const [nonce, setNonce] = useState(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const generation = useRef(0);

  useEffect(() => {
    const gen = ++generation.current;
    setLoading(true);
    setError(null);
    fetchRef
      .current(null)
      .then((page) => {
        if (gen !== generation.current) return;
        setItems(page.items);
        setNext(page.next);
      })
      .catch((e: unknown) => {
        if (gen !== generation.current) return;
        setItems([]);
        setNext(null);
        setError(toBackendError(e));
      })
      .finally(() => {
        if (gen === generation.current) setLoading(false);
      });
  }, [key, nonce]);

  const loadMore = useCallback(async () => {
    if (!next || loadingMore) return;
    const gen = generation.current;
    setLoadingMore(true);
    try {
      const page = await fetchRef.current(next);
      if (gen !== generation.current) return;
      setItems((prev) => [...prev, ...page.items]);
      setNext(page.next);
    } catch (e) {
      if (gen === generation.current) setError(toBackendError(e));
    } finally {
      if (gen === generation.current) setLoadingMore(false);
    }
  }, [next, loadingMore]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const replace = useCallback((match: (item: T) => boolean, item: T) => {
    setItems((prev) => prev.map((x) => (match(x) ? item : x)));
  }, []);

  return { items, next, loading, loadingMore, error, loadMore, reload, replace };
}
