// Sync: each provider's health, "Sync now" with a progress bar fed by `sync-progress` events,
// and the outbox, where needs-attention messages show the provider's error with Retry and
// Discard (with a reason).
import { createColumnHelper } from '@tanstack/react-table';
import { useEffect, useRef, useState } from 'react';

import type { BackendError } from '../backend/Backend';
import { appliedOf, toBackendError } from '../backend/Backend';
import { useBackend } from '../backend/context';
import { OUTBOX_STATUSES, humanize } from '../backend/vocab';
import type { OutboxView } from '../bindings/OutboxView';
import type { SyncProgress } from '../bindings/SyncProgress';
import type { SyncRunView } from '../bindings/SyncRunView';
import type { SyncStatusView } from '../bindings/SyncStatusView';
import { DataTable } from '../components/DataTable';
import { ReasonDialog } from '../components/Dialog';
import { EmptyState, Skeleton } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { SelectField } from '../components/Field';
import { StateChip } from '../components/StateChip';
import { useToast } from '../components/Toast';
import { DateTime } from '../components/Values';
import { formatCount, formatDuration } from '../format';
import { notifyChanged, onChanged } from '../lib/events';
import { useAsync } from '../lib/useAsync';
import { useCustomerNames } from '../lib/useCustomerNames';
import { useKeysetList } from '../lib/useKeysetList';
import { href } from '../shell/router';

export function pendingTotal(status: SyncStatusView | undefined): number {
  if (!status) return 0;
  return status.providers.reduce((s, p) => s + (p.counts.pending ?? 0) + (p.counts.in_flight ?? 0), 0);
}

function ProviderCard({ p }: { p: SyncStatusView['providers'][number] }) {
  const state = !p.enabled ? 'disabled' : p.reachable === true ? 'online' : p.reachable === false ? 'offline' : 'not checked';
  const count = (k: string) => formatCount(p.counts[k] ?? 0);
  return (
    <div className="panel" data-testid={`sync-provider-${p.name}`} data-state={state}>
      <div className="panel-title">
        <span className={`dot${state === 'online' ? ' dot-online' : state === 'offline' ? ' dot-offline' : ''}`} aria-hidden="true" />
        <h2>{p.name}</h2>
        <span className="muted">{state}</span>
      </div>
      <dl className="kv" style={{ gridTemplateColumns: '120px 1fr' }}>
        <dt>Pending</dt>
        <dd className="num" data-testid={`sync-provider-${p.name}-pending`}>{count('pending')}</dd>
        <dt>In flight</dt>
        <dd className="num">{count('in_flight')}</dd>
        <dt>Delivered</dt>
        <dd className="num">{count('done')}</dd>
        <dt>Needs attention</dt>
        <dd className="num" data-testid={`sync-provider-${p.name}-attention`}>
          {(p.counts.needs_attention ?? 0) > 0 ? <StateChip kind="outbox" value="needs_attention" label={count('needs_attention')} /> : '0'}
        </dd>
        <dt>Discarded</dt>
        <dd className="num">{count('discarded')}</dd>
        <dt>Oldest waiting</dt>
        <dd>{formatDuration(p.oldest_pending_age_s)}</dd>
      </dl>
    </div>
  );
}

const col = createColumnHelper<OutboxView>();

export function SyncPage() {
  const backend = useBackend();
  const toast = useToast();
  const status = useAsync(() => backend.syncStatus(), []);
  const [filter, setFilter] = useState('');
  const list = useKeysetList((after) => backend.syncList({ status: filter || null, limit: 100, after }), filter);
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<SyncProgress | null>(null);
  const [total, setTotal] = useState(0);
  const [result, setResult] = useState<SyncRunView | null>(null);
  const [runError, setRunError] = useState<BackendError | null>(null);
  const [rowError, setRowError] = useState<BackendError | null>(null);
  const [discarding, setDiscarding] = useState<OutboxView | null>(null);
  const unlisten = useRef<null | (() => void)>(null);
  const reloadStatus = status.reload;
  const reloadList = list.reload;

  useEffect(() => onChanged(() => { reloadStatus(); reloadList(); }), [reloadStatus, reloadList]);
  useEffect(() => () => unlisten.current?.(), []);

  const run = async () => {
    setRunning(true);
    setRunError(null);
    setResult(null);
    setProgress({ delivered: 0, retried: 0, needs_attention: 0, reconciled: 0 });
    setTotal(pendingTotal(status.data));
    try {
      unlisten.current = await backend.onSyncProgress((p) => setProgress(p));
      const r = await backend.syncRun();
      setResult(r);
      status.set(r.status);
      toast.show(`Sync finished: ${r.delivered} delivered`);
    } catch (e) {
      setRunError(toBackendError(e));
    } finally {
      unlisten.current?.();
      unlisten.current = null;
      setRunning(false);
      list.reload();
      notifyChanged();
    }
  };

  const retry = async (m: OutboxView) => {
    setRowError(null);
    try {
      const updated = await backend.syncRetry(m.id);
      list.replace((x) => x.id === m.id, updated);
      status.reload();
      notifyChanged();
      toast.show('Message will be sent again');
    } catch (e) {
      setRowError(toBackendError(e));
    }
  };

  const names = useCustomerNames(list.items.map((m) => m.aggregate_id));
  const done = progress ? progress.delivered + progress.retried + progress.needs_attention : 0;
  // A finished run is complete, whatever the estimate of its size was when it started.
  const pct = result ? 100 : total > 0 ? Math.min(100, Math.round((done / total) * 100)) : running ? 0 : 100;

  const columns = [
    col.accessor('created_at', { header: 'Queued', cell: (c) => <DateTime value={c.getValue()} /> }),
    col.accessor('provider', { header: 'Provider' }),
    col.accessor('operation', { header: 'Operation', cell: (c) => <span className="mono">{c.getValue()}</span> }),
    col.accessor('aggregate_id', {
      header: 'Customer',
      cell: (c) => (
        <a href={href('customers', c.getValue(), 'sync')} onClick={(e) => e.stopPropagation()} tabIndex={-1}>
          {names[c.getValue()]?.name ?? <span className="mono">{c.getValue().slice(0, 8)}…</span>}
        </a>
      ),
    }),
    col.accessor('status', { header: 'Status', cell: (c) => <StateChip kind="outbox" value={c.getValue()} /> }),
    col.accessor('attempts', { header: 'Attempts', cell: (c) => <span className="num">{c.getValue()}</span>, meta: { align: 'right' } }),
    col.accessor('next_attempt_at', { header: 'Next attempt', cell: (c) => (c.row.original.status === 'pending' ? <DateTime value={c.getValue()} /> : '—') }),
    col.display({
      id: 'actions',
      header: '',
      cell: (c) => {
        const m = c.row.original;
        return (
          <span className="row" style={{ gap: 4, flexWrap: 'nowrap' }}>
            {m.status === 'needs_attention' && (
              <button type="button" className="btn btn-small" onClick={(e) => { e.stopPropagation(); void retry(m); }} data-testid={`sync-retry-${m.id}`}>
                Retry
              </button>
            )}
            {(m.status === 'needs_attention' || m.status === 'pending') && (
              <button type="button" className="btn btn-small btn-danger" onClick={(e) => { e.stopPropagation(); setDiscarding(m); }} data-testid={`sync-discard-${m.id}`}>
                Discard…
              </button>
            )}
          </span>
        );
      },
    }),
    col.accessor('last_error', {
      header: 'Provider said',
      cell: (c) => (c.getValue() ? <span className="wrap" title={c.getValue() ?? undefined} data-testid={`sync-error-${c.row.original.id}`}>{c.getValue()}</span> : <span className="faint">—</span>),
    }),
  ];

  return (
    <div>
      <div className="title-row">
        <h1>Sync</h1>
        {status.data && status.data.open_conflicts > 0 && (
          <StateChip value="conflicts" tone="amber" label={`${status.data.open_conflicts} open conflicts`} testId="sync-conflicts" />
        )}
        <div className="actions">
          <button type="button" className="btn btn-primary" onClick={() => void run()} disabled={running} data-testid="sync-run">
            {running ? 'Syncing…' : 'Sync now'}
          </button>
        </div>
      </div>
      {progress && (
        <div className="panel" data-testid="sync-progress" aria-live="polite" style={{ marginBottom: 12 }}>
          <div className="row" style={{ marginBottom: 6 }}>
            <strong>{running ? 'Sending…' : 'Last run'}</strong>
            <span className="muted num" data-testid="sync-progress-counts">
              {formatCount(progress.delivered)} delivered · {formatCount(progress.retried)} to retry · {formatCount(progress.needs_attention)} need attention · {formatCount(progress.reconciled)} reconciled
            </span>
          </div>
          <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="Sync progress" data-testid="sync-progress-bar">
            <div style={{ width: `${pct}%` }} />
          </div>
          {result && (
            <p className="muted" style={{ marginTop: 6 }} data-testid="sync-result">
              Finished{result.stopped_early ? ' early (stopped)' : ''}: {result.delivered} delivered, {result.retried} to retry, {result.needs_attention} need attention, {result.reconciled} reconciled.
            </p>
          )}
        </div>
      )}
      <ErrorBanner error={runError} testId="sync-run-error" />
      <ErrorBanner error={status.error} testId="sync-status-error" />
      {!status.data ? (
        <Skeleton rows={3} />
      ) : status.data.providers.length === 0 ? (
        <EmptyState title="No providers set up" testId="sync-no-providers">
          <a href="#/settings">Add a provider in Settings</a>; the sandbox simulators work without credentials.
        </EmptyState>
      ) : (
        <div className="grid-4" style={{ marginBottom: 12 }}>
          {status.data.providers.map((p) => (
            <ProviderCard key={p.name} p={p} />
          ))}
        </div>
      )}
      <div className="row" style={{ alignItems: 'flex-end', marginBottom: 8 }}>
        <h2 style={{ margin: 0 }}>Outbox</h2>
        <span className="spacer" />
        <SelectField label="Status" value={filter} onChange={setFilter} options={OUTBOX_STATUSES.map((s) => ({ value: s, label: humanize(s) }))} emptyLabel="All" testId="sync-filter-status" />
      </div>
      <ErrorBanner error={rowError ?? list.error} testId="sync-list-error" />
      {list.loading ? (
        <Skeleton rows={5} />
      ) : (
        <DataTable
          data={list.items}
          columns={columns}
          getRowId={(m) => m.id}
          rowTestId={(m) => `sync-row-${m.id}`}
          rowClassName={(m) => (m.status === 'needs_attention' ? 'row-breached' : undefined)}
          testId="sync-table"
          label="Outbox"
          clientSort
          empty={<EmptyState title={filter ? `No ${humanize(filter).toLowerCase()} messages` : 'The outbox is empty'} testId="sync-empty">Changes a provider must hear about appear here.</EmptyState>}
          footer={
            list.next ? (
              <div className="table-foot">
                <button type="button" className="btn btn-small" onClick={() => void list.loadMore()} disabled={list.loadingMore} data-testid="sync-load-more">
                  Load more
                </button>
              </div>
            ) : undefined
          }
        />
      )}
      {discarding && (
        <ReasonDialog
          title="Discard this message"
          description={`${discarding.provider} will never receive ${discarding.operation} for this customer. Say why.`}
          confirmLabel="Discard"
          destructive
          testId="discard-dialog"
          onClose={() => setDiscarding(null)}
          onConfirm={async (reason) => {
            const updated = appliedOf(await backend.syncDiscard(discarding.id, reason));
            if (updated) list.replace((x) => x.id === discarding.id, updated);
            status.reload();
            notifyChanged();
            toast.show(updated ? 'Message discarded' : 'Sent for approval: another supervisor must approve the discard');
          }}
        />
      )}
    </div>
  );
}
