// My queue: customers with a case assigned to me, then customers with a case in review.
// SLA-breached ones are highlighted (a red edge and an "SLA breached" chip, not colour alone).
import { createColumnHelper } from '@tanstack/react-table';
import { useEffect, useState } from 'react';

import { useAppInfo, useBackend } from '../backend/context';
import type { QueueItem } from '../bindings/QueueItem';
import type { QueueQuery } from '../bindings/QueueQuery';
import { DataTable } from '../components/DataTable';
import { EmptyState, Skeleton } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { StateChip } from '../components/StateChip';
import { DateTime } from '../components/Values';
import { formatCount } from '../format';
import { useKeysetList } from '../lib/useKeysetList';
import { href, navigate } from '../shell/router';
import { EMPTY_FILTERS, toQueueQuery } from './filters';

const col = createColumnHelper<QueueItem>();

function columns(breached: Set<string>) {
  return [
    col.display({
      id: 'sla',
      header: 'SLA',
      cell: (c) =>
        breached.has(c.row.original.id) ? (
          <StateChip value="breached" tone="red" label="SLA breached" testId={`sla-breached-${c.row.original.ref_id}`} />
        ) : (
          <StateChip value="ok" tone="neutral" label="Within SLA" />
        ),
    }),
    col.accessor('name', { header: 'Name', cell: (c) => <a href={href('customers', c.row.original.id)} tabIndex={-1}>{c.getValue()}</a> }),
    col.accessor('ref_id', { header: 'Ref id', cell: (c) => <span className="mono">{c.getValue()}</span> }),
    col.accessor('state', { header: 'State', cell: (c) => <StateChip kind="customer" value={c.getValue()} /> }),
    col.accessor('identity_status', { header: 'Identity', cell: (c) => <StateChip kind="identity" value={c.getValue()} /> }),
    col.accessor('risk_rating', { header: 'Risk', cell: (c) => <StateChip kind="risk" value={c.getValue()} /> }),
    col.accessor('edd_status', { header: 'EDD', cell: (c) => <StateChip kind="edd" value={c.getValue()} /> }),
    col.accessor('updated_at', { header: 'Updated', cell: (c) => <DateTime value={c.getValue()} /> }),
  ];
}

function useBreached(query: QueueQuery | null): Set<string> {
  const backend = useBackend();
  const [ids, setIds] = useState<Set<string>>(new Set());
  const key = JSON.stringify(query);
  useEffect(() => {
    if (!query) return;
    let alive = true;
    backend
      .listQueue({ ...query, sla_breached: true, limit: 500, after: null })
      .then((p) => alive && setIds(new Set(p.items.map((i) => i.id))))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps
  return ids;
}

function QueueSection({ title, query, testId, empty }: { title: string; query: QueueQuery; testId: string; empty: string }) {
  const backend = useBackend();
  const list = useKeysetList((after) => backend.listQueue({ ...query, after }), JSON.stringify(query));
  const breached = useBreached(query);
  return (
    <section className="stack" style={{ marginBottom: 16 }}>
      <div className="row">
        <h2 style={{ margin: 0 }}>{title}</h2>
        <span className="subtitle">{list.loading ? '' : `${formatCount(list.items.length)}${list.next ? '+' : ''}`}</span>
        {breached.size > 0 && <StateChip value="breached" tone="red" label={`${breached.size} SLA breached`} testId={`${testId}-breached-count`} />}
      </div>
      <ErrorBanner error={list.error} testId={`${testId}-error`} />
      {list.loading ? (
        <Skeleton rows={4} />
      ) : (
        <DataTable
          data={list.items}
          columns={columns(breached)}
          getRowId={(r) => r.id}
          onOpen={(r) => navigate(href('customers', r.id))}
          rowTestId={(r) => `queue-row-${r.ref_id}`}
          rowClassName={(r) => (breached.has(r.id) ? 'row-breached' : undefined)}
          testId={testId}
          label={title}
          maxHeight={360}
          empty={<EmptyState title={empty} testId={`${testId}-empty`} />}
          footer={
            list.next ? (
              <div className="table-foot">
                <button type="button" className="btn btn-small" onClick={() => void list.loadMore()} disabled={list.loadingMore} data-testid={`${testId}-load-more`}>
                  Load more
                </button>
              </div>
            ) : undefined
          }
        />
      )}
    </section>
  );
}

export function MyQueuePage() {
  const info = useAppInfo();
  if (!info) return <Skeleton rows={6} testId="queue-loading" />;
  const mine = toQueueQuery({ ...EMPTY_FILTERS, assignee: info.actor, sort: 'oldest' });
  const review = toQueueQuery({ ...EMPTY_FILTERS, verification_state: 'reviewing', sort: 'oldest' });
  return (
    <div>
      <div className="title-row">
        <h1>My queue</h1>
        <span className="subtitle">Oldest first. Signed in as {info.actor}.</span>
      </div>
      <QueueSection title="Assigned to me" query={mine} testId="queue-mine" empty="Nothing assigned to you — pick a case from Cases or In review below." />
      <QueueSection title="In review" query={review} testId="queue-review" empty="No cases are in review." />
    </div>
  );
}
