// Customers: the work queue as a dense table with a search box and every QueueQuery filter,
// built-in and saved views, keyset "Load more", and CSV export of the current view.
import { createColumnHelper } from '@tanstack/react-table';
import { useEffect, useId, useMemo, useRef, useState } from 'react';

import { toBackendError } from '../backend/Backend';
import type { BackendError } from '../backend/Backend';
import { useAppInfo, useBackend } from '../backend/context';
import {
  CUSTOMER_STATES,
  EDD_STATUSES,
  IDENTITY_STATUSES,
  QUEUE_SORTS,
  RISK_RATINGS,
  VERIFICATION_METHODS,
  VERIFICATION_STATES,
  humanize,
} from '../backend/vocab';
import type { QueueItem } from '../bindings/QueueItem';
import { DataTable } from '../components/DataTable';
import type { ColumnMeta } from '../components/DataTable';
import { Dialog } from '../components/Dialog';
import { EmptyState, Skeleton } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { CheckField, SelectField, TextField } from '../components/Field';
import { StateChip } from '../components/StateChip';
import { useToast } from '../components/Toast';
import { DateTime } from '../components/Values';
import { formatCount, todayLocal } from '../format';
import { useKeysetList } from '../lib/useKeysetList';
import { href, navigate } from '../shell/router';
import { downloadText, fetchAll, toCsv } from './csv';
import { SEARCH_MAX_CHARS } from './search';
import {
  EMPTY_FILTERS,
  PRESET_VIEWS,
  activeFilterCount,
  deleteView,
  fromQueueQuery,
  fromSearchParams,
  loadSavedViews,
  sameFilters,
  saveView,
  slug,
  toQueueQuery,
  toSearchParams,
} from './filters';
import type { CustomerFilters, SavedView } from './filters';

const col = createColumnHelper<QueueItem>();

export const customerColumns = [
  col.accessor('name', {
    header: 'Name',
    cell: (c) => (
      <a href={href('customers', c.row.original.id)} onClick={(e) => e.stopPropagation()} tabIndex={-1}>
        {c.getValue() || '(no name)'}
      </a>
    ),
    meta: { width: '22%' } satisfies ColumnMeta,
  }),
  col.accessor('ref_id', { header: 'Ref id', cell: (c) => <span className="mono">{c.getValue()}</span> }),
  col.accessor('type', { header: 'Type', cell: (c) => humanize(c.getValue()) }),
  col.accessor('state', {
    header: 'State',
    cell: (c) => (
      <span className="row" style={{ gap: 4 }}>
        <StateChip kind="customer" value={c.getValue()} />
        {c.row.original.verification_level && <span className="faint">{c.row.original.verification_level}</span>}
      </span>
    ),
  }),
  col.accessor('identity_status', { header: 'Identity', cell: (c) => <StateChip kind="identity" value={c.getValue()} /> }),
  col.accessor('risk_rating', { header: 'Risk', cell: (c) => <StateChip kind="risk" value={c.getValue()} /> }),
  col.accessor('edd_status', {
    header: 'EDD',
    cell: (c) => (c.getValue() === 'none' ? <span className="faint">—</span> : <StateChip kind="edd" value={c.getValue()} />),
  }),
  col.accessor('kyc_refresh_due_on', {
    header: 'Refresh due',
    cell: (c) => <DateTime value={c.getValue()} dateOnly />,
    meta: { serverSort: { asc: 'refresh_due' } } satisfies ColumnMeta,
  }),
  col.accessor('created_at', {
    header: 'Created',
    cell: (c) => <DateTime value={c.getValue()} />,
    meta: { serverSort: { desc: 'newest', asc: 'oldest' } } satisfies ColumnMeta,
  }),
];

/** How long the search box waits after the last keystroke before it asks the backend. */
export const SEARCH_DEBOUNCE_MS = 200;

/**
 * The table's search box: applies what is typed after a short pause, Esc clears it at once.
 * It keeps its own text while typing, and follows `value` only when that changes from outside
 * (a view, Clear, the back button), so a late URL update never eats a keystroke.
 */
export function SearchBox({ value, onSearch }: { value: string; onSearch: (text: string) => void }) {
  const id = useId();
  const [text, setText] = useState(value);
  const sent = useRef(value);
  const onSearchRef = useRef(onSearch);
  onSearchRef.current = onSearch;

  useEffect(() => {
    if (value.trim() !== sent.current.trim()) setText(value);
    sent.current = value;
  }, [value]);

  useEffect(() => {
    if (text.trim() === sent.current.trim()) return;
    const timer = setTimeout(() => {
      sent.current = text;
      onSearchRef.current(text);
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);

  return (
    <div className="field field-search">
      <label className="field-label" htmlFor={id}>
        Search
      </label>
      <input
        id={id}
        type="search"
        value={text}
        placeholder="Name, ref id or email"
        maxLength={SEARCH_MAX_CHARS}
        autoComplete="off"
        aria-describedby={`${id}-hint`}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key !== 'Escape') return;
          e.preventDefault();
          // Handled here: Esc must not also close whatever dialog or popover is around.
          e.stopPropagation();
          if (!text) return;
          setText('');
          sent.current = '';
          onSearchRef.current('');
        }}
        data-testid="filter-search"
      />
      <span id={`${id}-hint`} className="sr-only">
        Every word must match the start of a word in the name, ref id, an email or a document number. Esc clears.
      </span>
    </div>
  );
}

export function FilterBar({
  filters,
  onChange,
  actor,
}: {
  filters: CustomerFilters;
  onChange: (f: CustomerFilters) => void;
  actor: string | null;
}) {
  const set = (patch: Partial<CustomerFilters>) => onChange({ ...filters, ...patch });
  const o = (values: readonly string[]) => values.map((v) => ({ value: v, label: v === v.toUpperCase() ? v : humanize(v) }));
  return (
    <div className="filters" role="group" aria-label="Filters" data-testid="customer-filters">
      <SearchBox value={filters.search} onSearch={(search) => set({ search })} />
      <SelectField label="State" value={filters.state} onChange={(v) => set({ state: v })} options={o(CUSTOMER_STATES)} emptyLabel="Any" testId="filter-state" />
      <SelectField label="Case state" value={filters.verification_state} onChange={(v) => set({ verification_state: v })} options={o(VERIFICATION_STATES)} emptyLabel="Any" testId="filter-verification-state" />
      <SelectField label="Case method" value={filters.verification_method} onChange={(v) => set({ verification_method: v })} options={o(VERIFICATION_METHODS)} emptyLabel="Any" testId="filter-verification-method" />
      <SelectField label="EDD" value={filters.edd} onChange={(v) => set({ edd: v })} options={o(EDD_STATUSES)} emptyLabel="Any" testId="filter-edd" />
      <SelectField label="Risk" value={filters.risk} onChange={(v) => set({ risk: v })} options={o(RISK_RATINGS)} emptyLabel="Any" testId="filter-risk" />
      <SelectField label="Identity" value={filters.identity_status} onChange={(v) => set({ identity_status: v })} options={o(IDENTITY_STATUSES)} emptyLabel="Any" testId="filter-identity-status" />
      <TextField label="Refresh due before" type="date" value={filters.refresh_due_before} onChange={(v) => set({ refresh_due_before: v })} testId="filter-refresh-due-before" />
      <TextField label="Assignee" value={filters.assignee} onChange={(v) => set({ assignee: v })} testId="filter-assignee" placeholder={actor ?? 'name'} />
      <CheckField label="SLA breached" checked={filters.sla_breached} onChange={(v) => set({ sla_breached: v })} testId="filter-sla-breached" />
      <SelectField label="Sort" value={filters.sort} onChange={(v) => set({ sort: v })} options={o(QUEUE_SORTS)} testId="filter-sort" />
      <button type="button" className="btn" onClick={() => onChange(EMPTY_FILTERS)} disabled={activeFilterCount(filters) === 0 && filters.sort === 'newest'} data-testid="filters-clear">
        Clear
      </button>
    </div>
  );
}

export function CustomersPage({ query }: { query: URLSearchParams }) {
  const backend = useBackend();
  const info = useAppInfo();
  const toast = useToast();
  const filters = useMemo(() => fromSearchParams(query), [query.toString()]); // eslint-disable-line react-hooks/exhaustive-deps
  const key = toSearchParams(filters);
  const list = useKeysetList((after) => backend.listQueue(toQueueQuery(filters, undefined, after)), key);
  const [saved, setSaved] = useState<SavedView[]>(() => loadSavedViews());
  const [naming, setNaming] = useState(false);
  const [exporting, setExporting] = useState<number | null>(null);
  const [exportError, setExportError] = useState<BackendError | null>(null);

  const setFilters = (f: CustomerFilters) => {
    const qs = toSearchParams(f);
    navigate(`/customers${qs ? `?${qs}` : ''}`);
  };

  useEffect(() => {
    const onStorage = () => setSaved(loadSavedViews());
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const exportCsv = async () => {
    setExporting(0);
    setExportError(null);
    try {
      const items = await fetchAll(backend, toQueueQuery(filters, null, null), setExporting);
      downloadText(`customers-${todayLocal()}.csv`, toCsv(items));
      toast.show(`Exported ${formatCount(items.length)} customers`);
    } catch (e) {
      setExportError(toBackendError(e));
    } finally {
      setExporting(null);
    }
  };

  const filtered = activeFilterCount(filters) > 0;
  return (
    <div>
      <div className="title-row">
        <h1>Customers</h1>
        <span className="subtitle" data-testid="customers-count">
          {list.loading ? '' : `${formatCount(list.items.length)}${list.next ? '+' : ''} shown`}
        </span>
        <div className="actions">
          <button type="button" className="btn" onClick={() => setNaming(true)} data-testid="view-save">
            Save view…
          </button>
          <button type="button" className="btn" onClick={() => void exportCsv()} disabled={exporting !== null} data-testid="export-csv">
            {exporting !== null ? `Exporting ${formatCount(exporting)}…` : 'Export CSV'}
          </button>
          <a className="btn btn-primary" href="#/onboard" data-testid="customers-onboard">
            Onboard
          </a>
        </div>
      </div>
      <div className="views" role="group" aria-label="Views">
        {PRESET_VIEWS.map((v) => (
          <button key={v.slug} type="button" className="view-pill" aria-pressed={sameFilters(v.filters, filters)} onClick={() => setFilters(v.filters)} data-testid={`view-preset-${v.slug}`}>
            {v.name}
          </button>
        ))}
        {saved.map((v) => {
          const f = fromQueueQuery(v.query);
          return (
            <span key={v.name} className="row" style={{ gap: 0 }}>
              <button type="button" className="view-pill" aria-pressed={sameFilters(f, filters)} onClick={() => setFilters(f)} data-testid={`view-saved-${slug(v.name)}`}>
                ★ {v.name}
              </button>
              <button type="button" className="btn btn-ghost btn-small" aria-label={`Delete view ${v.name}`} onClick={() => setSaved(deleteView(v.name))} data-testid={`view-delete-${slug(v.name)}`}>
                ×
              </button>
            </span>
          );
        })}
      </div>
      <FilterBar filters={filters} onChange={setFilters} actor={info?.actor ?? null} />
      <ErrorBanner error={list.error ?? exportError} testId="customers-error" />
      {list.loading ? (
        <Skeleton rows={8} testId="customers-loading" />
      ) : (
        <DataTable
          data={list.items}
          columns={customerColumns}
          getRowId={(r) => r.id}
          onOpen={(r) => navigate(href('customers', r.id))}
          rowTestId={(r) => `customer-row-${r.ref_id}`}
          testId="customers-table"
          label="Customers"
          serverSort={{ value: filters.sort, onChange: (sort) => setFilters({ ...filters, sort }) }}
          empty={
            filtered ? (
              <EmptyState title="No customers match these filters" testId="customers-empty">
                <button type="button" className="link-btn" onClick={() => setFilters(EMPTY_FILTERS)}>
                  Clear the filters
                </button>{' '}
                or try another view.
              </EmptyState>
            ) : (
              <EmptyState title="No customers yet" testId="customers-empty">
                <a href="#/onboard">Onboard one</a> to start.
              </EmptyState>
            )
          }
          footer={
            <div className="table-foot">
              <span>
                {formatCount(list.items.length)} {list.next ? 'loaded, more available' : 'in this view'}
              </span>
              {list.next && (
                <button type="button" className="btn btn-small" onClick={() => void list.loadMore()} disabled={list.loadingMore} data-testid="customers-load-more">
                  {list.loadingMore ? 'Loading…' : 'Load more'}
                </button>
              )}
            </div>
          }
        />
      )}
      {naming && (
        <SaveViewDialog
          onClose={() => setNaming(false)}
          onSave={(name) => {
            setSaved(saveView(name, filters));
            toast.show(`View “${name}” saved`);
          }}
        />
      )}
    </div>
  );
}

function SaveViewDialog({ onClose, onSave }: { onClose: () => void; onSave: (name: string) => void }) {
  const [name, setName] = useState('');
  const ok = name.trim() !== '';
  const submit = () => {
    if (!ok) return;
    onSave(name.trim());
    onClose();
  };
  return (
    <Dialog
      title="Save this view"
      onClose={onClose}
      testId="save-view-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} data-testid="save-view-cancel">
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={submit} disabled={!ok} data-testid="save-view-confirm">
            Save view
          </button>
        </>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <TextField label="Name" value={name} onChange={setName} testId="save-view-name" autoFocus />
      </form>
      <p className="field-hint">Stored on this computer with the current filters and sort.</p>
    </Dialog>
  );
}
