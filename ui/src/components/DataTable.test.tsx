import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { DataTable, WINDOW_FROM } from './DataTable';

interface Item {
  id: string;
  name: string;
}

const items = (n: number): Item[] => Array.from({ length: n }, (_, i) => ({ id: `c${i}`, name: `Customer ${i}` }));
const columns = [{ id: 'name', header: 'Name', accessorFn: (r: Item) => r.name }];

function table(data: Item[]) {
  return (
    <DataTable data={data} columns={columns} getRowId={(r) => r.id} rowTestId={(r) => `row-${r.id}`} testId="t" label="Things" />
  );
}

const drawn = () => document.querySelectorAll('tr[data-index]');

describe('DataTable', () => {
  it('draws every row of a short table', () => {
    render(table(items(WINDOW_FROM)));
    expect(drawn()).toHaveLength(WINDOW_FROM);
    expect(document.querySelector('.table-spacer')).toBeNull();
  });

  it('draws only the rows in view of a long one, keeps the others\u2019 place, and follows the scroll', () => {
    render(table(items(1000)));
    const grid = screen.getByTestId('t');
    expect(grid.getAttribute('aria-rowcount')).toBe('1001');
    const count = drawn().length;
    expect(count).toBeGreaterThan(20);
    expect(count).toBeLessThan(100);
    const spacer = document.querySelector<HTMLElement>('.table-spacer td');
    // The rows not drawn, at the assumed height of 35 px each (jsdom lays nothing out).
    expect(spacer?.style.height).toBe(`${(1000 - count) * 35}px`);

    grid.scrollTop = 500 * 35;
    fireEvent.scroll(grid);
    const indexes = [...drawn()].map((r) => Number(r.getAttribute('data-index')));
    expect(indexes).toContain(500);
    expect(indexes).not.toContain(0);
    expect(screen.getByTestId('row-c500').getAttribute('aria-rowindex')).toBe('502');
    expect(document.querySelectorAll('.table-spacer')).toHaveLength(2);
  });

  it('brings a row the keyboard selects into view when it was not drawn', () => {
    render(table(items(1000)));
    const grid = screen.getByTestId('t');
    fireEvent.keyDown(grid, { key: 'End' });
    fireEvent.scroll(grid);
    expect(screen.getByTestId('row-c999').getAttribute('aria-selected')).toBe('true');
  });
});
