// The Customers screen's filter controls ↔ the contract's `QueueQuery` (and the URL, so a view
// is a link). Blank controls mean "no filter" (null); the checkbox maps to `sla_breached`; the
// search box maps to `search` (left out of the query when blank, as the binding has it optional).
import type { QueueQuery } from '../bindings/QueueQuery';

export interface CustomerFilters {
  /** Words matched by prefix against name, ref id, emails and document numbers (all must match). */
  search: string;
  state: string;
  verification_state: string;
  verification_method: string;
  edd: string;
  risk: string;
  identity_status: string;
  refresh_due_before: string;
  assignee: string;
  sla_breached: boolean;
  sort: string;
}

export const EMPTY_FILTERS: CustomerFilters = {
  search: '',
  state: '',
  verification_state: '',
  verification_method: '',
  edd: '',
  risk: '',
  identity_status: '',
  refresh_due_before: '',
  assignee: '',
  sla_breached: false,
  sort: 'newest',
};

const TEXT_KEYS = [
  'search',
  'state',
  'verification_state',
  'verification_method',
  'edd',
  'risk',
  'identity_status',
  'refresh_due_before',
  'assignee',
] as const;

export const PAGE_SIZE = 50;

function orNull(v: string): string | null {
  const t = v.trim();
  return t === '' ? null : t;
}

export function toQueueQuery(f: CustomerFilters, limit: number | null = PAGE_SIZE, after: string | null = null): QueueQuery {
  const search = f.search.trim();
  return {
    ...(search ? { search } : {}),
    state: orNull(f.state),
    verification_state: orNull(f.verification_state),
    verification_method: orNull(f.verification_method),
    edd: orNull(f.edd),
    risk: orNull(f.risk),
    identity_status: orNull(f.identity_status),
    refresh_due_before: orNull(f.refresh_due_before),
    assignee: orNull(f.assignee),
    sla_breached: f.sla_breached,
    sort: orNull(f.sort) ?? 'newest',
    limit,
    after,
  };
}

export function fromQueueQuery(q: Partial<QueueQuery>): CustomerFilters {
  return {
    search: q.search ?? '',
    state: q.state ?? '',
    verification_state: q.verification_state ?? '',
    verification_method: q.verification_method ?? '',
    edd: q.edd ?? '',
    risk: q.risk ?? '',
    identity_status: q.identity_status ?? '',
    refresh_due_before: q.refresh_due_before ?? '',
    assignee: q.assignee ?? '',
    sla_breached: q.sla_breached ?? false,
    sort: q.sort ?? 'newest',
  };
}

export function fromSearchParams(params: URLSearchParams): CustomerFilters {
  const f: CustomerFilters = { ...EMPTY_FILTERS };
  for (const key of TEXT_KEYS) f[key] = params.get(key) ?? '';
  f.sla_breached = params.get('sla_breached') === 'true';
  f.sort = params.get('sort') || 'newest';
  return f;
}

export function toSearchParams(f: CustomerFilters): string {
  const p = new URLSearchParams();
  for (const key of TEXT_KEYS) if (f[key].trim()) p.set(key, f[key].trim());
  if (f.sla_breached) p.set('sla_breached', 'true');
  if (f.sort && f.sort !== 'newest') p.set('sort', f.sort);
  return p.toString();
}

export function activeFilterCount(f: CustomerFilters): number {
  return TEXT_KEYS.filter((k) => f[k].trim() !== '').length + (f.sla_breached ? 1 : 0);
}

export function sameFilters(a: CustomerFilters, b: CustomerFilters): boolean {
  return toSearchParams(a) === toSearchParams(b);
}

/** Built-in views: one click to the usual work queues. */
export const PRESET_VIEWS: Array<{ slug: string; name: string; filters: CustomerFilters }> = [
  { slug: 'all', name: 'All customers', filters: EMPTY_FILTERS },
  { slug: 'pending', name: 'Pending', filters: { ...EMPTY_FILTERS, state: 'pending' } },
  { slug: 'in-review', name: 'In review', filters: { ...EMPTY_FILTERS, verification_state: 'reviewing' } },
  { slug: 'sla-breached', name: 'SLA breached', filters: { ...EMPTY_FILTERS, sla_breached: true } },
  { slug: 'edd-in-progress', name: 'EDD in progress', filters: { ...EMPTY_FILTERS, edd: 'in_progress' } },
  { slug: 'edd-passed', name: 'EDD passed', filters: { ...EMPTY_FILTERS, edd: 'passed' } },
  { slug: 'high-risk', name: 'High risk', filters: { ...EMPTY_FILTERS, risk: 'HIGH' } },
  { slug: 'refresh-due', name: 'Refresh due', filters: { ...EMPTY_FILTERS, sort: 'refresh_due' } },
];

// ── saved views (localStorage: name + QueueQuery) ──────────────────────────────────────────

export interface SavedView {
  name: string;
  query: QueueQuery;
}

export const SAVED_VIEWS_KEY = 'dossier.savedViews.v1';

export function slug(name: string): string {
  return name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'view';
}

export function loadSavedViews(storage: Storage = window.localStorage): SavedView[] {
  try {
    const raw = storage.getItem(SAVED_VIEWS_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (v): v is SavedView => typeof v === 'object' && v !== null && typeof (v as SavedView).name === 'string' && typeof (v as SavedView).query === 'object',
    );
  } catch {
    return [];
  }
}

export function saveView(name: string, filters: CustomerFilters, storage: Storage = window.localStorage): SavedView[] {
  const views = loadSavedViews(storage).filter((v) => slug(v.name) !== slug(name));
  // Cursors and page sizes are not part of a view.
  views.push({ name: name.trim(), query: toQueueQuery(filters, null, null) });
  storage.setItem(SAVED_VIEWS_KEY, JSON.stringify(views));
  return views;
}

export function deleteView(name: string, storage: Storage = window.localStorage): SavedView[] {
  const views = loadSavedViews(storage).filter((v) => v.name !== name);
  storage.setItem(SAVED_VIEWS_KEY, JSON.stringify(views));
  return views;
}
