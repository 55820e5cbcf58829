import { useCallback, useEffect, useRef, useState } from 'react';

import type { BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';

export interface AsyncState<T> {
  data: T | undefined;
  error: BackendError | null;
  loading: boolean;
  reload: () => void;
  /** Replace the data in place (after a command returned the new state). */
  set: (data: T) => void;
}

/** Runs `load` when `deps` change; never blocks rendering (callers show skeletons meanwhile). */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<BackendError | null>(null);
  const [loading, setLoading] = useState(true);
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let alive = true;
    setLoading(true);
    loadRef
      .current()
      .then((d) => {
        if (!alive) return;
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!alive) return;
        setError(toBackendError(e));
      })
      .finally(() => {
        if (alive) setLoading(false);
      });
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const set = useCallback((d: T) => setData(d), []);
  return { data, error, loading, reload, set };
}
