// Four-eyes: commands a maker asked for wait here until a second person (a supervisor who is
// not the maker) approves or rejects them; the maker may withdraw one. What each will do is
// shown as the command it holds, numbers masked.
import { createColumnHelper } from '@tanstack/react-table';
import { useState } from 'react';

import type { BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import { useAppInfo, useBackend } from '../backend/context';
import type { ApprovalView } from '../bindings/ApprovalView';
import { DataTable } from '../components/DataTable';
import { ReasonDialog } from '../components/Dialog';
import { EmptyState, Skeleton } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { SelectField } from '../components/Field';
import { StateChip } from '../components/StateChip';
import { useToast } from '../components/Toast';
import { DateTime } from '../components/Values';
import { notifyChanged } from '../lib/events';
import { useCustomerNames } from '../lib/useCustomerNames';
import { useKeysetList } from '../lib/useKeysetList';
import { href } from '../shell/router';

/** What each kind of request asks for, in words. */
export const APPROVAL_KINDS: Record<string, string> = {
  edd_decision: 'EDD decision',
  client_override: 'Verification override',
  control_removal: 'Removal of a frozen or denied control',
  undo_rejection: 'Reactivation after rejection',
  sync_discard: 'Discarding a sync message',
};

const STATES = ['pending', 'approved', 'rejected', 'withdrawn'];

/** The held command in one line, without personal data (the backend masks numbers). */
export function describeCommand(a: ApprovalView): string {
  const c = a.command as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') return '';
  const input = (c.input ?? {}) as Record<string, unknown>;
  switch (a.kind) {
    case 'edd_decision':
      return `Decide the case: ${String(input.outcome ?? '?')}${input.reason ? ` — “${String(input.reason)}”` : ''}`;
    case 'control_removal':
    case 'undo_rejection':
    case 'sync_discard':
      return c.reason ? `“${String(c.reason)}”` : '';
    default:
      return '';
  }
}

const col = createColumnHelper<ApprovalView>();

export function ApprovalsPage() {
  const backend = useBackend();
  const info = useAppInfo();
  const toast = useToast();
  const [state, setState] = useState('pending');
  const [error, setError] = useState<BackendError | null>(null);
  const [rejecting, setRejecting] = useState<ApprovalView | null>(null);
  const list = useKeysetList(
    (after) => backend.listApprovals({ state, kind: null, customer_id: null, limit: 50, after }),
    `approvals:${state}`,
  );
  const names = useCustomerNames(list.items.map((a) => a.customer_id));

  const act = async (what: () => Promise<ApprovalView>, done: string) => {
    setError(null);
    try {
      const updated = await what();
      list.replace((a) => a.id === updated.id, updated);
      toast.show(done);
      notifyChanged();
    } catch (raw) {
      setError(toBackendError(raw));
    }
  };

  const columns = [
    col.accessor('created_at', { header: 'Asked', cell: (c) => <DateTime value={c.getValue()} /> }),
    col.accessor('kind', { header: 'Request', cell: (c) => APPROVAL_KINDS[c.getValue()] ?? c.getValue() }),
    col.accessor('customer_id', {
      header: 'Customer',
      cell: (c) => (
        <a href={href('customers', c.getValue())} onClick={(e) => e.stopPropagation()}>
          {names[c.getValue()]?.name ?? <span className="mono">{c.getValue().slice(0, 8)}…</span>}
        </a>
      ),
    }),
    col.display({ id: 'command', header: 'What it does', cell: (c) => <span className="wrap">{describeCommand(c.row.original)}</span> }),
    col.accessor('maker', { header: 'Asked by', cell: (c) => <span>{c.getValue()}{c.row.original.maker_reason ? <span className="faint"> — {c.row.original.maker_reason}</span> : null}</span> }),
    col.accessor('state', { header: 'State', cell: (c) => <StateChip value={c.getValue()} tone={c.getValue() === 'pending' ? 'amber' : c.getValue() === 'approved' ? 'green' : 'neutral'} /> }),
    col.accessor('checker', { header: 'Second person', cell: (c) => c.getValue() ?? <span className="faint">—</span> }),
    col.display({
      id: 'actions',
      header: '',
      cell: (c) => {
        const a = c.row.original;
        if (a.state !== 'pending') return null;
        const mine = info?.actor === a.maker;
        return (
          <span className="row" style={{ gap: 4, flexWrap: 'nowrap' }}>
            {!mine && (
              <>
                <button type="button" className="btn btn-small btn-primary" onClick={(e) => { e.stopPropagation(); void act(() => backend.approve(a.id, null), 'Approved and applied'); }} data-testid={`approval-approve-${a.id}`}>
                  Approve
                </button>
                <button type="button" className="btn btn-small btn-danger" onClick={(e) => { e.stopPropagation(); setRejecting(a); }} data-testid={`approval-reject-${a.id}`}>
                  Reject…
                </button>
              </>
            )}
            {mine && (
              <button type="button" className="btn btn-small" onClick={(e) => { e.stopPropagation(); void act(() => backend.withdrawApproval(a.id), 'Withdrawn'); }} data-testid={`approval-withdraw-${a.id}`} title="Someone else must approve your own requests">
                Withdraw
              </button>
            )}
          </span>
        );
      },
    }),
  ];

  return (
    <div>
      <div className="title-row">
        <h1>Approvals</h1>
        <SelectField label="State" value={state} onChange={setState} options={STATES.map((s) => ({ value: s, label: s }))} testId="approvals-state" />
      </div>
      <p className="muted">
        Decisions that need a second person: EDD decisions, verification overrides, removing a frozen or denied control, reactivation after a
        rejection and discarding a sync message. Whoever asked cannot approve their own request.
      </p>
      {error && <ErrorBanner error={error} onDismiss={() => setError(null)} testId="approvals-error" />}
      {list.error && <ErrorBanner error={list.error} />}
      {list.loading ? (
        <Skeleton rows={4} />
      ) : list.items.length === 0 ? (
        <EmptyState title={state === 'pending' ? 'Nothing waits for approval' : `No ${state} requests`} testId="approvals-empty">
          Requests appear here when someone asks for one of these decisions.
        </EmptyState>
      ) : (
        <DataTable data={list.items} columns={columns} getRowId={(a) => a.id} rowTestId={(a) => `approval-row-${a.id}`} testId="approvals-table" label="Approval requests" />
      )}
      {list.next && (
        <button type="button" className="btn btn-small" onClick={() => void list.loadMore()} disabled={list.loadingMore} data-testid="approvals-load-more">
          Load more
        </button>
      )}
      {rejecting && (
        <ReasonDialog
          title="Reject the request"
          description={`${APPROVAL_KINDS[rejecting.kind] ?? rejecting.kind}, asked by ${rejecting.maker}. Nothing is applied.`}
          confirmLabel="Reject"
          destructive
          onConfirm={async (reason) => {
            const updated = await backend.rejectApproval(rejecting.id, reason);
            list.replace((a) => a.id === updated.id, updated);
            toast.show('Rejected');
            notifyChanged();
          }}
          onClose={() => setRejecting(null)}
          testId="approval-reject-dialog"
        />
      )}
    </div>
  );
}
