import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import type { Page } from '../bindings/Page';
import { useKeysetList } from './useKeysetList';

function pages(total: number, size: number) {
  const calls: Array<string | null> = [];
  const fetchPage = async (after: string | null): Promise<Page<number>> => {
    calls.push(after);
    const start = after === null ? 0 : Number(after) + 1;
    const items = Array.from({ length: Math.min(size, total - start) }, (_, i) => start + i);
    const last = items.at(-1);
    return { items, next: last !== undefined && last < total - 1 ? String(last) : null };
  };
  return { fetchPage, calls };
}

describe('useKeysetList', () => {
  it('loads the first page, then appends each next page until next is null', async () => {
    const { fetchPage, calls } = pages(7, 3);
    const { result } = renderHook(() => useKeysetList(fetchPage, 'k'));
    await waitFor(() => expect(result.current.loading).toBe(false));
    expect(result.current.items).toEqual([0, 1, 2]);
    expect(result.current.next).toBe('2');
    await act(() => result.current.loadMore());
    expect(result.current.items).toEqual([0, 1, 2, 3, 4, 5]);
    await act(() => result.current.loadMore());
    expect(result.current.items).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(result.current.next).toBeNull();
    await act(() => result.current.loadMore());
    expect(calls).toEqual([null, '2', '5']);
  });

  it('starts again from the first page when the key changes', async () => {
    const { fetchPage, calls } = pages(5, 2);
    const { result, rerender } = renderHook(({ k }) => useKeysetList(fetchPage, k), { initialProps: { k: 'a' } });
    await waitFor(() => expect(result.current.loading).toBe(false));
    await act(() => result.current.loadMore());
    expect(result.current.items).toEqual([0, 1, 2, 3]);
    rerender({ k: 'b' });
    await waitFor(() => expect(result.current.items).toEqual([0, 1]));
    expect(calls).toEqual([null, '1', null]);
  });
});
