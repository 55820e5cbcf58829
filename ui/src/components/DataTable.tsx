// Dense tables (32–36 px rows) with a sticky header, keyboard row selection (↑/↓, Home/End,
// Enter opens) and header sorting. Sorting is either done by the server (`serverSort`, for the
// orders the API offers) or on the loaded rows (`clientSort`).
//
// A long table draws only the rows in view and a few on either side, with spacers for the rest
// (rows are all one height): a list grown page by page ("Load more") would otherwise keep every
// row it ever showed in the page, and each page of 50 cost the desktop's web process about 7 MB.
import {
  flexRender,
  getCoreRowModel,
  getSortedRowModel,
  useReactTable,
} from '@tanstack/react-table';
import type { ColumnDef, SortingState } from '@tanstack/react-table';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { KeyboardEvent, ReactNode } from 'react';

/** Tables with more rows than this draw only those in view; shorter ones draw every row. */
export const WINDOW_FROM = 150;
/** Rows drawn beyond the visible ones on each side, so that a quick scroll shows no gap. */
const OVERSCAN = 12;
/** A row's height until one has been measured (the stylesheet's 34 px row and its border). */
const ROW_HEIGHT_GUESS = 35;
/** The view's height while it is unknown (no layout yet). */
const VIEW_HEIGHT_GUESS = 1200;

export interface ColumnMeta {
  align?: 'left' | 'right';
  /** The server sort this column maps to when clicked (server sorting only). */
  serverSort?: { asc?: string; desc?: string };
  width?: number | string;
}

export interface DataTableProps<T> {
  data: T[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  columns: Array<ColumnDef<T, any>>;
  getRowId: (row: T) => string;
  onOpen?: (row: T) => void;
  rowTestId?: (row: T) => string;
  rowClassName?: (row: T) => string | undefined;
  testId: string;
  label: string;
  /** The current server sort word (e.g. `newest`) and how to change it. */
  serverSort?: { value: string; onChange: (value: string) => void };
  clientSort?: boolean;
  empty?: ReactNode;
  footer?: ReactNode;
  maxHeight?: number | string;
}

export function DataTable<T>({
  data,
  columns,
  getRowId,
  onOpen,
  rowTestId,
  rowClassName,
  testId,
  label,
  serverSort,
  clientSort,
  empty,
  footer,
  maxHeight,
}: DataTableProps<T>) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const table = useReactTable({
    data,
    columns,
    getRowId: (row) => getRowId(row),
    getCoreRowModel: getCoreRowModel(),
    ...(clientSort ? { getSortedRowModel: getSortedRowModel(), state: { sorting }, onSortingChange: setSorting } : {}),
    enableSorting: !!clientSort,
  });
  const rows = table.getRowModel().rows;
  const [active, setActive] = useState(0);
  const bodyRef = useRef<HTMLTableSectionElement>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const windowed = rows.length > WINDOW_FROM;
  const [view, setView] = useState({ top: 0, height: 0 });
  const [rowHeight, setRowHeight] = useState(ROW_HEIGHT_GUESS);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el || !windowed) return;
    const update = () => setView({ top: el.scrollTop, height: el.clientHeight });
    update();
    el.addEventListener('scroll', update, { passive: true });
    const resize = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(update);
    resize?.observe(el);
    return () => {
      el.removeEventListener('scroll', update);
      resize?.disconnect();
    };
  }, [windowed]);

  // Reading a row's height makes the browser lay the page out: only windowed tables need it.
  useLayoutEffect(() => {
    if (!windowed) return;
    const measured = bodyRef.current?.querySelector<HTMLElement>('tr[data-index]')?.offsetHeight ?? 0;
    if (measured > 0 && measured !== rowHeight) setRowHeight(measured);
  });

  const first = windowed ? Math.min(rows.length, Math.max(0, Math.floor(view.top / rowHeight) - OVERSCAN)) : 0;
  const last = windowed
    ? Math.min(rows.length, first + Math.ceil((view.height || VIEW_HEIGHT_GUESS) / rowHeight) + 2 * OVERSCAN)
    : rows.length;

  useEffect(() => {
    if (active >= rows.length) setActive(Math.max(0, rows.length - 1));
  }, [rows.length, active]);

  useEffect(() => {
    const el = bodyRef.current?.querySelector<HTMLElement>(`tr[data-index="${active}"]`);
    if (el) {
      el.scrollIntoView?.({ block: 'nearest' });
    } else if (windowed && scrollRef.current) {
      // Not drawn: bring its place into the middle of the view, where it is drawn next.
      scrollRef.current.scrollTop = Math.max(0, active * rowHeight - scrollRef.current.clientHeight / 2);
    }
    // Only a move of the selection scrolls, not a change of the drawn window.
  }, [active]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!rows.length) return;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((i) => Math.min(rows.length - 1, i + 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((i) => Math.max(0, i - 1));
    } else if (e.key === 'Home') {
      e.preventDefault();
      setActive(0);
    } else if (e.key === 'End') {
      e.preventDefault();
      setActive(rows.length - 1);
    } else if (e.key === 'Enter' && onOpen) {
      const row = rows[active];
      if (row) {
        e.preventDefault();
        onOpen(row.original);
      }
    }
  };

  const activeRow = rows[active];
  return (
    <div className="table-wrap">
      <div
        className="table-scroll"
        tabIndex={0}
        role="grid"
        aria-label={`${label}: ↑ and ↓ move, Enter opens`}
        aria-rowcount={rows.length + 1}
        aria-activedescendant={activeRow ? `${testId}-row-${activeRow.id}` : undefined}
        onKeyDown={onKeyDown}
        ref={scrollRef}
        data-testid={testId}
        style={maxHeight !== undefined ? { maxHeight } : undefined}
      >
        <table className="table">
          <thead>
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id} role="row">
                {hg.headers.map((header) => {
                  const meta = (header.column.columnDef.meta ?? {}) as ColumnMeta;
                  const content = header.isPlaceholder ? null : flexRender(header.column.columnDef.header, header.getContext());
                  const style = { width: meta.width, textAlign: meta.align };
                  if (serverSort && meta.serverSort) {
                    const { asc, desc } = meta.serverSort;
                    const dir = serverSort.value === desc ? 'descending' : serverSort.value === asc ? 'ascending' : 'none';
                    const nextValue = dir === 'descending' && asc ? asc : desc ?? asc ?? serverSort.value;
                    return (
                      <th key={header.id} role="columnheader" aria-sort={dir} style={style}>
                        <button
                          type="button"
                          className="th-sort"
                          onClick={() => serverSort.onChange(nextValue)}
                          data-testid={`${testId}-sort-${header.column.id}`}
                        >
                          {content}
                          <span aria-hidden="true" className="sort-mark">
                            {dir === 'descending' ? '↓' : dir === 'ascending' ? '↑' : '↕'}
                          </span>
                        </button>
                      </th>
                    );
                  }
                  if (clientSort && header.column.getCanSort()) {
                    const dir = header.column.getIsSorted();
                    return (
                      <th key={header.id} role="columnheader" aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'} style={style}>
                        <button type="button" className="th-sort" onClick={header.column.getToggleSortingHandler()} data-testid={`${testId}-sort-${header.column.id}`}>
                          {content}
                          <span aria-hidden="true" className="sort-mark">
                            {dir === 'desc' ? '↓' : dir === 'asc' ? '↑' : '↕'}
                          </span>
                        </button>
                      </th>
                    );
                  }
                  return (
                    <th key={header.id} role="columnheader" style={style}>
                      {content}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody ref={bodyRef}>
            {first > 0 && <Spacer rows={first} rowHeight={rowHeight} columns={columns.length} />}
            {rows.slice(first, last).map((row, offset) => {
              const index = first + offset;
              const extra = rowClassName?.(row.original);
              return (
                <tr
                  key={row.id}
                  id={`${testId}-row-${row.id}`}
                  role="row"
                  aria-rowindex={index + 2}
                  data-index={index}
                  aria-selected={index === active}
                  className={`${index === active ? 'row-active' : ''}${extra ? ` ${extra}` : ''}${onOpen ? ' row-link' : ''}`}
                  data-testid={rowTestId?.(row.original)}
                  onClick={() => {
                    setActive(index);
                    onOpen?.(row.original);
                  }}
                >
                  {row.getVisibleCells().map((cell) => {
                    const meta = (cell.column.columnDef.meta ?? {}) as ColumnMeta;
                    return (
                      <td key={cell.id} role="gridcell" style={meta.align ? { textAlign: meta.align } : undefined}>
                        {flexRender(cell.column.columnDef.cell, cell.getContext())}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
            {last < rows.length && <Spacer rows={rows.length - last} rowHeight={rowHeight} columns={columns.length} />}
          </tbody>
        </table>
        {rows.length === 0 && empty}
      </div>
      {footer}
    </div>
  );
}

/** Stands in for `rows` rows not drawn, so the scrollbar and the drawn rows keep their places. */
function Spacer({ rows, rowHeight, columns }: { rows: number; rowHeight: number; columns: number }) {
  return (
    <tr aria-hidden="true" className="table-spacer">
      <td colSpan={columns} style={{ height: rows * rowHeight, padding: 0, border: 0 }} />
    </tr>
  );
}
