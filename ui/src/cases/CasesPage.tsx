// Cases: identity verifications and EDD cases, newest first, with keyset "Load more".
import { createColumnHelper } from '@tanstack/react-table';
import { useState } from 'react';

import { useBackend } from '../backend/context';
import { EDD_METHOD, OPEN_VERIFICATION_STATES, VERIFICATION_METHODS, VERIFICATION_TYPES, humanize } from '../backend/vocab';
import type { VerificationQuery } from '../bindings/VerificationQuery';
import type { VerificationView } from '../bindings/VerificationView';
import { DataTable } from '../components/DataTable';
import { EmptyState, Skeleton } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { SelectField } from '../components/Field';
import { StateChip } from '../components/StateChip';
import { DateTime } from '../components/Values';
import { formatCount } from '../format';
import { useCustomerNames } from '../lib/useCustomerNames';
import type { CustomerLabel } from '../lib/useCustomerNames';
import { useKeysetList } from '../lib/useKeysetList';
import { href, navigate } from '../shell/router';
import { SlaChip, caseTitle } from './CaseWork';

const STATE_SETS: Record<string, string[]> = {
  open: OPEN_VERIFICATION_STATES,
  reviewing: ['reviewing'],
  completed: ['completed'],
  expired: ['expired'],
  all: [],
};

const col = createColumnHelper<VerificationView>();

function columns(names: Record<string, CustomerLabel>) {
  return [
    col.accessor('created_at', { header: 'Opened', cell: (c) => <DateTime value={c.getValue()} /> }),
    col.accessor('customer_id', {
      header: 'Customer',
      cell: (c) => {
        const n = names[c.getValue()];
        return (
          <a href={href('customers', c.getValue())} tabIndex={-1} onClick={(e) => e.stopPropagation()}>
            {n ? n.name : '…'} {n && <span className="faint mono">{n.ref_id}</span>}
          </a>
        );
      },
    }),
    col.display({
      id: 'case',
      header: 'Case',
      cell: (c) => (
        <span className="row" style={{ gap: 4 }}>
          {c.row.original.method === EDD_METHOD && <StateChip value="edd" tone="purple" label="EDD" />}
          {caseTitle(c.row.original)}
        </span>
      ),
    }),
    col.accessor('state', { header: 'State', cell: (c) => <StateChip kind="verification" value={c.getValue()} /> }),
    col.accessor('outcome', { header: 'Outcome', cell: (c) => (c.getValue() ? <StateChip kind="outcome" value={c.getValue()} /> : <span className="faint">—</span>) }),
    col.display({ id: 'sla', header: 'SLA', cell: (c) => <SlaChip v={c.row.original} /> }),
    col.accessor('assignee', { header: 'Assignee', cell: (c) => c.getValue() ?? <span className="faint">—</span> }),
    col.accessor('updated_at', { header: 'Updated', cell: (c) => <DateTime value={c.getValue()} /> }),
  ];
}

export function CasesPage() {
  const backend = useBackend();
  const [states, setStates] = useState('open');
  const [type, setType] = useState('');
  const [method, setMethod] = useState('');
  const [outcome, setOutcome] = useState('');
  const query: VerificationQuery = {
    customer_id: null,
    type: type || null,
    method: method || null,
    states: STATE_SETS[states] ?? [],
    outcome: outcome || null,
    limit: 50,
    after: null,
  };
  const list = useKeysetList((after) => backend.listVerifications({ ...query, after }), JSON.stringify(query));
  const names = useCustomerNames(list.items.map((v) => v.customer_id));
  return (
    <div>
      <div className="title-row">
        <h1>Cases</h1>
        <span className="subtitle">{list.loading ? '' : `${formatCount(list.items.length)}${list.next ? '+' : ''} shown, newest first`}</span>
      </div>
      <div className="filters" role="group" aria-label="Filters">
        <SelectField label="State" value={states} onChange={setStates} options={[{ value: 'open', label: 'Open' }, { value: 'reviewing', label: 'In review' }, { value: 'completed', label: 'Completed' }, { value: 'expired', label: 'Expired' }, { value: 'all', label: 'All' }]} testId="cases-filter-state" />
        <SelectField label="Type" value={type} onChange={setType} options={VERIFICATION_TYPES.map((t) => ({ value: t, label: humanize(t) }))} emptyLabel="Any" testId="cases-filter-type" />
        <SelectField label="Method" value={method} onChange={setMethod} options={VERIFICATION_METHODS.map((m) => ({ value: m, label: humanize(m) }))} emptyLabel="Any" testId="cases-filter-method" />
        <SelectField label="Outcome" value={outcome} onChange={setOutcome} options={[{ value: 'passed', label: 'Passed' }, { value: 'failed', label: 'Failed' }]} emptyLabel="Any" testId="cases-filter-outcome" />
      </div>
      <ErrorBanner error={list.error} testId="cases-error" />
      {list.loading ? (
        <Skeleton rows={8} testId="cases-loading" />
      ) : (
        <DataTable
          data={list.items}
          columns={columns(names)}
          getRowId={(r) => r.id}
          onOpen={(r) => navigate(href('cases', r.id))}
          rowTestId={(r) => `case-row-${r.id}`}
          rowClassName={(r) => (r.sla_breached ? 'row-breached' : undefined)}
          testId="cases-table"
          label="Cases"
          empty={
            <EmptyState title="No cases here" testId="cases-empty">
              Open an EDD case or start a verification from a customer's page.
            </EmptyState>
          }
          footer={
            <div className="table-foot">
              <span>{formatCount(list.items.length)} loaded</span>
              {list.next && (
                <button type="button" className="btn btn-small" onClick={() => void list.loadMore()} disabled={list.loadingMore} data-testid="cases-load-more">
                  Load more
                </button>
              )}
            </div>
          }
        />
      )}
    </div>
  );
}
