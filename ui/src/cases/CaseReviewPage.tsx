// One case under review: the customer it is about, the case work, and KYC actions.
import { useBackend } from '../backend/context';
import { EDD_METHOD, humanize } from '../backend/vocab';
import { EmptyState, Skeleton } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { StateChip } from '../components/StateChip';
import { useAsync } from '../lib/useAsync';
import { href } from '../shell/router';
import { CaseWork, caseTitle } from './CaseWork';
import { KycPanel } from './KycPanel';

export function CaseReviewPage({ id }: { id: string }) {
  const backend = useBackend();
  const v = useAsync(() => backend.getVerification(id), [id]);
  const customerId = v.data?.customer_id;
  const customer = useAsync(() => (customerId ? backend.getCustomer(customerId) : Promise.resolve(null)), [customerId]);
  if (v.error) {
    return (
      <div>
        <ErrorBanner error={v.error} testId="case-load-error" />
        <EmptyState title="This case could not be opened">
          <a href="#/cases">Back to Cases</a>
        </EmptyState>
      </div>
    );
  }
  if (!v.data) return <Skeleton rows={10} testId="case-loading" />;
  const c = customer.data;
  const name = c ? (c.person ? `${c.person.first_name} ${c.person.last_name}` : (c.institution?.legal_name ?? '')) : '…';
  return (
    <div>
      <div className="title-row">
        <a href="#/cases" className="muted" data-testid="case-back">
          Cases
        </a>
        <span className="faint">/</span>
        <h1 data-testid="case-title">{caseTitle(v.data)}</h1>
        <StateChip kind="verification" value={v.data.state} />
        {c && (
          <span className="row" style={{ gap: 6 }}>
            <span className="muted">for</span>
            <a href={href('customers', c.id)} data-testid="case-customer-link">
              {name}
            </a>
            <span className="mono faint">{c.ref_id}</span>
            <StateChip kind="customer" value={c.state} />
            <StateChip kind="risk" value={c.risk_rating} />
          </span>
        )}
      </div>
      <div className="grid-2" style={{ alignItems: 'start' }}>
        <CaseWork v={v.data} onChange={(nv) => { v.set(nv); customer.reload(); }} />
        {v.data.type === 'kyc' && v.data.method !== EDD_METHOD && customerId ? (
          <KycPanel customerId={customerId} onDone={() => v.reload()} />
        ) : (
          c && (
            <div className="panel">
              <h2>Customer</h2>
              <dl className="kv">
                <dt>Type</dt>
                <dd>{humanize(c.type)}</dd>
                <dt>Identity</dt>
                <dd>
                  <StateChip kind="identity" value={c.identity_status} />
                </dd>
                <dt>EDD</dt>
                <dd>
                  <StateChip kind="edd" value={c.edd_status} />
                </dd>
                <dt>Source of funds</dt>
                <dd>{c.customer_due_diligence?.source_of_funds ?? '—'}</dd>
                <dt>Source of wealth</dt>
                <dd>{c.customer_due_diligence?.source_of_wealth ?? '—'}</dd>
                <dt>Purpose</dt>
                <dd>{c.customer_due_diligence?.purpose_of_account ?? '—'}</dd>
                <dt>Expected activity</dt>
                <dd>{c.customer_due_diligence?.expected_activity_level ?? '—'}</dd>
              </dl>
            </div>
          )
        )}
      </div>
    </div>
  );
}
