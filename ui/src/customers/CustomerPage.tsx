// One customer: header with state, identity status (reasons on click) and risk (factors on
// click), lifecycle actions, and tabs: Overview, Verifications, EDD, Decisions, Documents,
// Audit, Sync.
import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';

import type { BackendError, LifecycleAction, VerifyLevel } from '../backend/Backend';
import { appliedOf, toBackendError } from '../backend/Backend';
import { useBackend } from '../backend/context';
import { EDD_METHOD, IDENTITY_DETAIL_LABELS, OPEN_VERIFICATION_STATES, VERIFICATION_METHODS, VERIFICATION_TYPES, humanize } from '../backend/vocab';
import type { CustomerView } from '../bindings/CustomerView';
import type { JsonValue } from '../bindings/serde_json/JsonValue';
import { CaseWork, DecisionList, SlaChip, caseTitle } from '../cases/CaseWork';
import { Dialog, ReasonDialog } from '../components/Dialog';
import { EmptyState, Skeleton } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { ScanThumb, ScanViewer, scanFallback, scanName } from '../components/Scan';
import { SelectField, TextField } from '../components/Field';
import { StateChip } from '../components/StateChip';
import { Tabs } from '../components/Tabs';
import { useToast } from '../components/Toast';
import { DateTime, Money } from '../components/Values';
import { countryName } from '../countries';
import { notifyChanged } from '../lib/events';
import { useAsync } from '../lib/useAsync';
import { useKeysetList } from '../lib/useKeysetList';
import { Masked } from '../components/Masked';
import { PendingBanner } from '../approvals/PendingBanner';
import { GateChecklist } from '../onboarding/GateChecklist';
import { href, navigate } from '../shell/router';
import { CustomerFixList, ExpiryNote } from './CustomerFixList';

export function customerName(c: CustomerView): string {
  if (c.person) return [c.person.first_name, c.person.middle_name, c.person.last_name].filter(Boolean).join(' ');
  return c.institution?.legal_name ?? '';
}

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'verifications', label: 'Verifications' },
  { id: 'edd', label: 'EDD' },
  { id: 'decisions', label: 'Decisions' },
  { id: 'documents', label: 'Documents' },
  { id: 'audit', label: 'Audit' },
  { id: 'sync', label: 'Sync' },
];

const LIFECYCLE: Record<LifecycleAction, { label: string; states: string[]; destructive: boolean; description: string }> = {
  reject: { label: 'Reject', states: ['pending'], destructive: true, description: 'The customer becomes rejected. You can undo this later.' },
  withdraw: { label: 'Withdraw', states: ['pending'], destructive: true, description: 'The application is withdrawn. You can undo this later.' },
  close: { label: 'Close', states: ['verified', 'active'], destructive: true, description: 'The customer is closed. Reactivating needs verify and activate again.' },
  reactivate: { label: 'Reactivate', states: ['closed'], destructive: false, description: 'The customer returns to pending: verify and activate again.' },
  undo_rejection: { label: 'Undo rejection', states: ['rejected'], destructive: false, description: 'The customer returns to pending.' },
  undo_withdrawal: { label: 'Undo withdrawal', states: ['withdrawn'], destructive: false, description: 'The customer returns to pending.' },
};

export function CustomerPage({ id, tab }: { id: string; tab: string }) {
  const backend = useBackend();
  const toast = useToast();
  const customer = useAsync(() => backend.getCustomer(id), [id]);
  const [refusal, setRefusal] = useState<{ action: string; error: BackendError } | null>(null);
  const [actionError, setActionError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [lifecycle, setLifecycle] = useState<LifecycleAction | null>(null);
  const [eddNonce, setEddNonce] = useState(0);

  useEffect(() => {
    setRefusal(null);
    setActionError(null);
  }, [id]);

  if (customer.error && !customer.data) {
    return (
      <div>
        <ErrorBanner error={customer.error} testId="customer-load-error" />
        <EmptyState title="This customer could not be opened">
          <a href="#/customers">Back to Customers</a>
        </EmptyState>
      </div>
    );
  }
  const c = customer.data;
  if (!c) return <Skeleton rows={10} testId="customer-loading" />;

  const changed = (view: CustomerView) => {
    customer.set(view);
    notifyChanged();
  };

  const act = async (key: string, label: string, work: () => Promise<CustomerView>, gateAction: boolean) => {
    setBusy(key);
    setRefusal(null);
    setActionError(null);
    try {
      changed(await work());
      toast.show(label);
    } catch (e) {
      const err = toBackendError(e);
      if (gateAction) setRefusal({ action: label, error: err });
      else setActionError(err);
      customer.reload();
    } finally {
      setBusy(null);
    }
  };

  const canVerify = (level: VerifyLevel) => {
    const passes = c.verification_gate[level].passes;
    if (c.state === 'pending') return passes;
    return level === 'full' && c.verification_level === 'partial' && (c.state === 'verified' || c.state === 'active') && passes;
  };
  const showVerify = c.state === 'pending' || ((c.state === 'verified' || c.state === 'active') && c.verification_level === 'partial');

  const openEdd = async () => {
    setBusy('edd');
    setActionError(null);
    try {
      await backend.openEdd(c.id);
      setEddNonce((n) => n + 1);
      notifyChanged();
      toast.show('EDD case opened');
      customer.reload();
      navigate(`/customers/${c.id}/edd?opened=${Date.now()}`);
    } catch (e) {
      setActionError(toBackendError(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div data-testid="customer-page" data-customer-id={c.id} data-state={c.state}>
      <div className="title-row">
        <h1 data-testid="customer-title">{customerName(c)}</h1>
        <span className="mono faint" data-testid="customer-ref-id">
          {c.ref_id}
        </span>
        <span className="muted">{humanize(c.type)}</span>
        <StateChip kind="customer" value={c.state} testId="customer-state" />
        {c.verification_level && <StateChip kind="level" value={c.verification_level} testId="customer-level" />}
        <IdentityChip customer={c} />
        <RiskChip customer={c} />
        {c.edd_status !== 'none' && <StateChip kind="edd" value={c.edd_status} testId="customer-edd-status" />}
        <div className="actions">
          {showVerify && (
            <>
              {c.state === 'pending' && (
                <button type="button" className="btn btn-primary" disabled={!canVerify('partial') || !!busy} onClick={() => void act('verify-partial', 'Verify — partial', () => backend.verifyCustomer(c.id, 'partial', null), true)} data-testid="action-verify-partial" title={c.verification_gate.partial.passes ? undefined : 'See the checklist: some rules are not met'}>
                  Verify — partial
                </button>
              )}
              <button type="button" className="btn btn-primary" disabled={!canVerify('full') || !!busy} onClick={() => void act('verify-full', 'Verify — full', () => backend.verifyCustomer(c.id, 'full', null), true)} data-testid="action-verify-full" title={c.verification_gate.full.passes ? undefined : 'See the checklist: some rules are not met'}>
                Verify — full
              </button>
            </>
          )}
          {c.state === 'verified' && (
            <button type="button" className="btn btn-primary" disabled={!!busy} onClick={() => void act('activate', 'Activate', () => backend.activateCustomer(c.id), true)} data-testid="action-activate">
              Activate
            </button>
          )}
          {(c.state === 'verified' || c.state === 'active') && c.edd_status !== 'in_progress' && (
            <button type="button" className="btn" disabled={!!busy} onClick={() => void openEdd()} data-testid="action-open-edd">
              Open EDD case
            </button>
          )}
          {(Object.keys(LIFECYCLE) as LifecycleAction[])
            .filter((a) => LIFECYCLE[a].states.includes(c.state))
            .map((a) => (
              <button key={a} type="button" className={`btn${LIFECYCLE[a].destructive ? ' btn-danger' : ''}`} disabled={!!busy} onClick={() => setLifecycle(a)} data-testid={`action-${a.replace('_', '-')}`}>
                {LIFECYCLE[a].label}…
              </button>
            ))}
        </div>
      </div>
      <ErrorBanner error={actionError} testId="customer-action-error" onDismiss={() => setActionError(null)} />
      <PendingBanner approvals={c.pending_approvals} testId="customer-pending-approvals" />
      {refusal && tab !== 'overview' && <ErrorBanner error={refusal.error} testId="customer-refusal" onDismiss={() => setRefusal(null)} />}
      <Tabs tabs={TABS} active={tab} hrefFor={(t) => href('customers', c.id, t)} label="Customer sections" />
      <div data-testid={`customer-tab-${tab}`}>
        {tab === 'overview' && <Overview c={c} onChange={changed} refusal={refusal} />}
        {tab === 'verifications' && <VerificationsTab c={c} />}
        {tab === 'edd' && <EddTab c={c} nonce={eddNonce} onCaseChange={() => customer.reload()} onOpen={() => void openEdd()} busy={busy === 'edd'} />}
        {tab === 'decisions' && <DecisionsTab c={c} />}
        {tab === 'documents' && <DocumentsTab c={c} />}
        {tab === 'audit' && <AuditTab c={c} />}
        {tab === 'sync' && <SyncTab c={c} />}
      </div>
      {lifecycle && (
        <ReasonDialog
          title={`${LIFECYCLE[lifecycle].label} ${customerName(c)}`}
          description={LIFECYCLE[lifecycle].description}
          confirmLabel={LIFECYCLE[lifecycle].label}
          destructive={LIFECYCLE[lifecycle].destructive}
          testId="lifecycle-dialog"
          onClose={() => setLifecycle(null)}
          onConfirm={async (reason) => {
            const submitted = await backend.lifecycle(c.id, lifecycle, reason);
            const view = appliedOf(submitted);
            if (view) {
              changed(view);
              toast.show(`${LIFECYCLE[lifecycle].label}: done`);
            } else {
              changed(await backend.getCustomer(c.id));
              toast.show('Sent for approval: another supervisor must approve it');
            }
          }}
        />
      )}
    </div>
  );
}

function Popover({ label, testId, tone, children }: { label: ReactNode; testId: string; tone: string; children: (close: () => void) => ReactNode }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onDown);
    };
  }, [open]);
  return (
    <span className="rel" ref={ref}>
      <button type="button" className={`chip chip-${tone}`} aria-expanded={open} onClick={() => setOpen((o) => !o)} data-testid={testId}>
        {label} ▾
      </button>
      {open && (
        <div className="popover" role="dialog" aria-label="Details" data-testid={`${testId}-popover`}>
          {children(() => setOpen(false))}
        </div>
      )}
    </span>
  );
}

const IDENTITY_TONE: Record<string, string> = { PENDING: 'blue', APPROVED: 'green', ERROR: 'amber', DENIED: 'red', DISABLED: 'neutral' };

function detailMessage(value: JsonValue): string {
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.message === 'string') return value.message;
  return typeof value === 'string' ? value : '';
}

function IdentityChip({ customer }: { customer: CustomerView }) {
  const backend = useBackend();
  return (
    <Popover label={`Identity ${customer.identity_status}`} tone={IDENTITY_TONE[customer.identity_status] ?? 'neutral'} testId="customer-identity-status">
      {() => <IdentityDetails id={customer.id} backend={backend} key={customer.updated_at} />}
    </Popover>
  );
}

function IdentityDetails({ id, backend }: { id: string; backend: ReturnType<typeof useBackend> }) {
  const s = useAsync(() => backend.identityStatus(id), [id]);
  if (s.error) return <ErrorBanner error={s.error} />;
  if (!s.data) return <Skeleton rows={2} />;
  const entries = Object.entries(s.data.status_details);
  return (
    <div>
      <h3>Identity status: {s.data.status}</h3>
      {entries.length === 0 ? (
        <p className="muted">Nothing holds this identity back.</p>
      ) : (
        <ul className="banner-reasons" style={{ paddingLeft: 16 }}>
          {entries.map(([key, value]) => (
            <li key={key} data-testid={`identity-detail-${key}`}>
              {IDENTITY_DETAIL_LABELS[key] ?? humanize(key)}
              {detailMessage(value) && <span className="muted"> — {detailMessage(value)}</span>} <code className="code-small">{key}</code>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const RISK_TONE: Record<string, string> = { LOW: 'neutral', MEDIUM: 'amber', HIGH: 'red', PROHIBITED: 'red' };

function RiskChip({ customer }: { customer: CustomerView }) {
  const backend = useBackend();
  return (
    <Popover label={`Risk ${customer.risk_rating}`} tone={RISK_TONE[customer.risk_rating] ?? 'neutral'} testId="customer-risk">
      {() => <RiskDetails id={customer.id} backend={backend} key={customer.updated_at} />}
    </Popover>
  );
}

function RiskDetails({ id, backend }: { id: string; backend: ReturnType<typeof useBackend> }) {
  const r = useAsync(() => backend.risk(id), [id]);
  if (r.error) return <ErrorBanner error={r.error} />;
  if (!r.data) return <Skeleton rows={2} />;
  return (
    <div>
      <h3>
        {r.data.rating} · score {r.data.score}
      </h3>
      {r.data.requires_edd && <p><StateChip value="edd" tone="purple" label="Requires EDD" /></p>}
      {r.data.factors.length === 0 ? (
        <p className="muted">No risk factor applies.</p>
      ) : (
        <table className="table">
          <tbody>
            {r.data.factors.map((f) => (
              <tr key={f.code} data-testid={`risk-factor-${f.code}`}>
                <td>{f.detail}</td>
                <td className="num" style={{ textAlign: 'right' }}>
                  +{f.points}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted" style={{ marginTop: 6 }}>
        Next KYC refresh: <DateTime value={r.data.kyc_refresh_due_on} dateOnly />
      </p>
    </div>
  );
}

function Overview({ c, onChange, refusal }: { c: CustomerView; onChange: (c: CustomerView) => void; refusal: { action: string; error: BackendError } | null }) {
  const dd = c.customer_due_diligence;
  return (
    <div className="grid-2" style={{ gridTemplateColumns: 'minmax(0, 1fr) 340px', alignItems: 'start' }}>
      <div className="stack">
        <div className="panel" data-testid="customer-profile">
          <h2>Profile</h2>
          <dl className="kv">
            {c.person && (
              <>
                <dt>Name</dt>
                <dd>{customerName(c)}</dd>
                <dt>Date of birth</dt>
                <dd className="num">{c.person.date_of_birth}</dd>
                <dt>Citizenship</dt>
                <dd>{countryName(c.person.country_of_citizenship) || '—'}</dd>
                <dt>Country of birth</dt>
                <dd>{countryName(c.person.country_of_birth) || '—'}</dd>
                <dt>Occupation</dt>
                <dd>{c.person.occupation ?? '—'}</dd>
                <dt>Politically exposed</dt>
                <dd>{c.politically_exposed ? 'Yes' : 'No'}</dd>
              </>
            )}
            {c.institution && (
              <>
                <dt>Legal name</dt>
                <dd>{c.institution.legal_name}</dd>
                <dt>Doing business as</dt>
                <dd>{c.institution.doing_business_as_name ?? '—'}</dd>
                <dt>Formed in</dt>
                <dd>{countryName(c.institution.country_of_formation)}</dd>
                <dt>Incorporated</dt>
                <dd className="num">{c.institution.incorporation_date ?? '—'}</dd>
                <dt>Industry</dt>
                <dd>{c.institution.industry_type ?? '—'}</dd>
                <dt>Entity type</dt>
                <dd>{c.institution.legal_entity_type ?? '—'}</dd>
                <dt>Website</dt>
                <dd>{c.institution.website ?? '—'}</dd>
                <dt>Merchant</dt>
                <dd>{c.is_merchant ? 'Yes' : 'No'}</dd>
              </>
            )}
            <dt>Created</dt>
            <dd>
              <DateTime value={c.created_at} />
            </dd>
            <dt>State since</dt>
            <dd>
              <DateTime value={c.state_changed_at} />
            </dd>
            <dt>Last KYC refresh</dt>
            <dd>
              <DateTime value={c.last_kyc_refresh_date} dateOnly />
            </dd>
            <dt>Next KYC refresh</dt>
            <dd>
              <DateTime value={c.kyc_refresh_due_on} dateOnly />
            </dd>
          </dl>
        </div>
        <div className="panel">
          <CustomerFixList customer={c} onChange={onChange} />
        </div>
        <div className="grid-2">
          <div className="panel" data-testid="customer-due-diligence">
            <h2>Due diligence</h2>
            <dl className="kv">
              <dt>Source of funds</dt>
              <dd>{dd?.source_of_funds ?? '—'}</dd>
              <dt>Source of wealth</dt>
              <dd>{dd?.source_of_wealth ?? '—'}</dd>
              <dt>Purpose of account</dt>
              <dd>{dd?.purpose_of_account ?? '—'}</dd>
              <dt>Expected activity</dt>
              <dd>{dd?.expected_activity_level ?? '—'}</dd>
            </dl>
          </div>
          <div className="panel" data-testid="customer-limits">
            <h2>Activity limits</h2>
            {c.activity_limits ? (
              <>
                <p>
                  Tier <StateChip kind="level" value={c.activity_limits.tier} testId="customer-limits-tier" />
                </p>
                <table className="table">
                  <tbody>
                    {c.activity_limits.limits.map((l, i) => (
                      <tr key={i}>
                        <td>{humanize(l.activity)}</td>
                        <td>{humanize(l.interval)}</td>
                        <td style={{ textAlign: 'right' }}>
                          <Money amount={l.amount} currency={l.currency} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            ) : (
              <p className="muted">No limits until the customer is verified.</p>
            )}
          </div>
        </div>
        {c.controls.length > 0 && (
          <div className="panel" data-testid="customer-controls">
            <h2>Controls</h2>
            <table className="table">
              <tbody>
                {c.controls.map((k) => (
                  <tr key={k.id}>
                    <td>
                      <StateChip value={k.type} tone={k.type === 'dormant' ? 'neutral' : 'red'} />
                    </td>
                    <td>{k.set_by}</td>
                    <td className="mono">{k.reason_code}</td>
                    <td>
                      <DateTime value={k.created_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <GateChecklist gate={c.verification_gate} refusal={refusal} title="Verify checklist" />
    </div>
  );
}

function VerificationsTab({ c }: { c: CustomerView }) {
  const backend = useBackend();
  const [creating, setCreating] = useState(false);
  const list = useKeysetList(
    (after) => backend.listVerifications({ customer_id: c.id, type: null, method: null, states: [], outcome: null, limit: 50, after }),
    `${c.id}:${c.updated_at}`,
  );
  return (
    <div className="panel">
      <div className="panel-title">
        <h2>Verifications</h2>
        <div className="actions">
          <button type="button" className="btn btn-small" onClick={() => setCreating(true)} data-testid="verification-new">
            New verification…
          </button>
        </div>
      </div>
      <ErrorBanner error={list.error} />
      {list.loading ? (
        <Skeleton rows={3} />
      ) : list.items.length === 0 ? (
        <EmptyState title="No verifications yet" testId="verifications-empty">
          Start one with “New verification”, or open an EDD case once the customer is verified.
        </EmptyState>
      ) : (
        <ul className="timeline" data-testid="verifications-timeline">
          {list.items.map((v) => (
            <li key={v.id} data-testid={`verification-${v.id}`}>
              <span className="faint">
                <DateTime value={v.created_at} />
              </span>
              <span className="row" style={{ gap: 6 }}>
                <a href={href('cases', v.id)}>{caseTitle(v)}</a>
                <StateChip kind="verification" value={v.state} />
                {v.outcome && <StateChip kind="outcome" value={v.outcome} />}
                <SlaChip v={v} />
                {v.failure_codes.length > 0 && <code className="code-small">{v.failure_codes.join(', ')}</code>}
              </span>
            </li>
          ))}
        </ul>
      )}
      {list.next && (
        <button type="button" className="btn btn-small" onClick={() => void list.loadMore()} data-testid="verifications-load-more">
          Load more
        </button>
      )}
      {creating && <NewVerificationDialog customerId={c.id} onClose={() => setCreating(false)} />}
    </div>
  );
}

function NewVerificationDialog({ customerId, onClose }: { customerId: string; onClose: () => void }) {
  const backend = useBackend();
  const toast = useToast();
  const [type, setType] = useState('kyc');
  const [method, setMethod] = useState('id_and_selfie');
  const [reference, setReference] = useState('');
  const [error, setError] = useState<BackendError | null>(null);
  const save = async () => {
    try {
      const v = await backend.createVerification({ customer_id: customerId, type, method, external_reference: reference.trim() || null });
      notifyChanged();
      toast.show('Verification created');
      onClose();
      navigate(href('cases', v.id));
    } catch (e) {
      setError(toBackendError(e));
    }
  };
  return (
    <Dialog
      title="New verification"
      onClose={onClose}
      testId="verification-new-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void save()} data-testid="verification-new-save">
            Create
          </button>
        </>
      }
    >
      <SelectField label="Type" value={type} onChange={setType} options={VERIFICATION_TYPES.map((t) => ({ value: t, label: humanize(t) }))} testId="verification-new-type" />
      <SelectField label="Method" value={method} onChange={setMethod} options={VERIFICATION_METHODS.filter((m) => m !== EDD_METHOD).map((m) => ({ value: m, label: humanize(m) }))} testId="verification-new-method" />
      <TextField label="Provider reference (optional)" value={reference} onChange={setReference} testId="verification-new-reference" />
      <ErrorBanner error={error} testId="verification-new-error" />
    </Dialog>
  );
}

function EddTab({ c, nonce, onCaseChange, onOpen, busy }: { c: CustomerView; nonce: number; onCaseChange: () => void; onOpen: () => void; busy: boolean }) {
  const backend = useBackend();
  const cases = useAsync(
    () => backend.listVerifications({ customer_id: c.id, type: null, method: EDD_METHOD, states: [], outcome: null, limit: 20, after: null }),
    [c.id, c.updated_at, nonce],
  );
  if (cases.error) return <ErrorBanner error={cases.error} />;
  if (!cases.data) return <Skeleton rows={4} />;
  const [latest, ...older] = cases.data.items;
  const inProgress = latest && OPEN_VERIFICATION_STATES.includes(latest.state);
  const canOpen = (c.state === 'verified' || c.state === 'active') && !inProgress;
  return (
    <div className="stack" data-testid="edd-tab">
      {!inProgress && (
        <div className="panel">
          <div className="row">
            <p style={{ margin: 0 }}>
              {latest ? 'No EDD case is in progress.' : 'No EDD case yet.'}{' '}
              {c.state !== 'verified' && c.state !== 'active' && 'Verify the customer first: EDD needs a verified customer.'}
            </p>
            <span className="spacer" />
            <button type="button" className="btn btn-primary" onClick={onOpen} disabled={!canOpen || busy} data-testid="edd-open">
              Open EDD case
            </button>
          </div>
        </div>
      )}
      {latest && (
        <CaseWork
          key={latest.id}
          v={latest}
          onChange={(v) => {
            cases.set({ ...cases.data!, items: [v, ...older] });
            onCaseChange();
          }}
        />
      )}
      {older.length > 0 && (
        <div className="panel">
          <h2>Earlier EDD cases</h2>
          <ul className="timeline">
            {older.map((v) => (
              <li key={v.id}>
                <span className="faint">
                  <DateTime value={v.created_at} />
                </span>
                <span className="row" style={{ gap: 6 }}>
                  <a href={href('cases', v.id)}>EDD case</a>
                  <StateChip kind="verification" value={v.state} />
                  {v.outcome && <StateChip kind="outcome" value={v.outcome} />}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

function DecisionsTab({ c }: { c: CustomerView }) {
  const backend = useBackend();
  const d = useAsync(() => backend.decisions(c.id), [c.id, c.updated_at]);
  if (d.error) return <ErrorBanner error={d.error} />;
  if (!d.data) return <Skeleton rows={3} />;
  if (d.data.length === 0) return <EmptyState title="No decisions yet" testId="decisions-empty">Decisions appear when a case is decided or a client override is recorded.</EmptyState>;
  return (
    <div className="panel" data-testid="decisions-list">
      <DecisionList decisions={d.data} />
    </div>
  );
}

function DocumentsTab({ c }: { c: CustomerView }) {
  // Documents keep a scan's reference only, so scans are named by their side here.
  const [viewing, setViewing] = useState<{ reference: string; name: string } | null>(null);
  if (c.documents.length === 0) return <EmptyState title="No identity documents" testId="documents-empty">Add one from the Overview.</EmptyState>;
  return (
    <div className="grid-2">
      {c.documents.map((d, i) => (
        <div key={d.id} className="panel" data-testid={`document-card-${i}`}>
          <div className="panel-title">
            <h2>{humanize(d.type)}</h2>
            <ExpiryNote expires={d.expires_on} valid={d.valid_today} />
          </div>
          <dl className="kv">
            <dt>Number</dt>
            <dd>
              <Masked customerId={c.id} field="document_number" itemId={d.id} masked={d.number} testId={`document-card-${i}-number`} />
            </dd>
            <dt>Issued by</dt>
            <dd>{countryName(d.issuing_country)}</dd>
            <dt>Issued</dt>
            <dd className="num">{d.issued_on ?? '—'}</dd>
            <dt>Expires</dt>
            <dd className="num">{d.expires_on ?? '—'}</dd>
            <dt>Status</dt>
            <dd>{humanize(d.status)}</dd>
          </dl>
          <div className="row" style={{ marginTop: 8, alignItems: 'flex-start' }}>
            {d.files.length === 0 && <span className="muted">No scans attached.</span>}
            {d.files.map((f, j) => (
              <ScanThumb
                key={j}
                reference={f.reference}
                fallbackName={scanFallback(f.role)}
                onOpen={() => setViewing({ reference: f.reference, name: scanName(f.reference, null, scanFallback(f.role)) })}
                testId={`document-${i}-file-${j}`}
              />
            ))}
          </div>
        </div>
      ))}
      {viewing && <ScanViewer reference={viewing.reference} name={viewing.name} onClose={() => setViewing(null)} />}
    </div>
  );
}

function summaryText(summary: JsonValue): string {
  if (summary === null || typeof summary !== 'object' || Array.isArray(summary)) return summary === null ? '' : String(summary);
  return Object.entries(summary)
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => `${humanize(k).toLowerCase()}: ${Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? '…' : String(v)}`)
    .join(' · ');
}

function AuditTab({ c }: { c: CustomerView }) {
  const backend = useBackend();
  const list = useKeysetList((after) => backend.auditEvents({ entity: c.id, limit: 50, after }), `${c.id}:${c.updated_at}`);
  return (
    <div className="panel">
      <h2>Audit trail</h2>
      <ErrorBanner error={list.error} />
      {list.loading ? (
        <Skeleton rows={4} />
      ) : list.items.length === 0 ? (
        <EmptyState title="No audit events" />
      ) : (
        <ul className="timeline" data-testid="audit-timeline">
          {list.items.map((e) => (
            <li key={e.id} data-testid={`audit-${e.action}`}>
              <span className="faint">
                <DateTime value={e.at} />
                <br />
                {e.actor}
              </span>
              <span>
                <strong>{humanize(e.action.replace('.', ' '))}</strong> <code className="code-small">{e.action}</code>
                {e.reason && <span style={{ display: 'block' }}>“{e.reason}”</span>}
                <span className="muted" style={{ display: 'block' }}>
                  {summaryText(e.summary)}
                </span>
              </span>
            </li>
          ))}
        </ul>
      )}
      {list.next && (
        <button type="button" className="btn btn-small" onClick={() => void list.loadMore()} data-testid="audit-load-more">
          Load more
        </button>
      )}
    </div>
  );
}

export const CUSTOMER_SYNC_PAGE = 200;

function SyncTab({ c }: { c: CustomerView }) {
  const backend = useBackend();
  // The outbox filtered by customer on the backend, in delivery order, a page at a time.
  const messages = useKeysetList(
    (after) => backend.syncList({ status: null, customer: c.id, limit: CUSTOMER_SYNC_PAGE, after }),
    `${c.id}:${c.updated_at}`,
  );
  if (messages.error && !messages.items.length) return <ErrorBanner error={messages.error} testId="customer-sync-error" />;
  if (messages.loading) return <Skeleton rows={4} />;
  if (messages.items.length === 0) {
    return <EmptyState title="Nothing to sync for this customer" testId="customer-sync-empty">No provider is set up, or none takes these changes. See Settings.</EmptyState>;
  }
  const providers = [...new Set(messages.items.map((m) => m.provider))];
  return (
    <div className="stack" data-testid="customer-sync">
      <ErrorBanner error={messages.error} testId="customer-sync-error" />
      {messages.next && (
        <p className="field-hint" data-testid="customer-sync-partial">
          The summaries cover the {messages.items.length} oldest messages loaded; load more below for the rest.
        </p>
      )}
      <div className="grid-4">
        {providers.map((p) => {
          const mine = messages.items.filter((m) => m.provider === p);
          const done = mine.filter((m) => m.status === 'done');
          const last = done.at(-1);
          const remote = [...mine].reverse().find((m) => m.remote_id)?.remote_id;
          const pending = mine.filter((m) => m.status === 'pending' || m.status === 'in_flight').length;
          const attention = mine.filter((m) => m.status === 'needs_attention').length;
          return (
            <div key={p} className="panel" data-testid={`customer-sync-${p}`}>
              <h3>{p}</h3>
              <dl className="kv" style={{ gridTemplateColumns: '90px 1fr' }}>
                <dt>Remote id</dt>
                <dd className="mono">{remote ?? '—'}</dd>
                <dt>Last sync</dt>
                <dd>
                  <DateTime value={last?.updated_at} />
                </dd>
                <dt>Pending</dt>
                <dd className="num">{pending}</dd>
              </dl>
              {attention > 0 && <StateChip value="needs_attention" kind="outbox" label={`${attention} need attention`} />}
            </div>
          );
        })}
      </div>
      <div className="panel">
        <table className="table">
          <thead>
            <tr>
              <th>Provider</th>
              <th>Operation</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Remote id</th>
              <th>Last error</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {messages.items.map((m) => (
              <tr key={m.id} data-testid={`customer-sync-row-${m.id}`}>
                <td>{m.provider}</td>
                <td className="mono">{m.operation}</td>
                <td>
                  <StateChip kind="outbox" value={m.status} />
                </td>
                <td className="num">{m.attempts}</td>
                <td className="mono">{m.remote_id ?? '—'}</td>
                <td title={m.last_error ?? undefined}>{m.last_error ?? '—'}</td>
                <td>
                  <DateTime value={m.updated_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {messages.next && (
          <button type="button" className="btn btn-small" onClick={() => void messages.loadMore()} disabled={messages.loadingMore} data-testid="customer-sync-load-more">
            {messages.loadingMore ? 'Loading…' : 'Load more'}
          </button>
        )}
        <p className="field-hint">
          Retry or discard messages on the <a href="#/sync">Sync</a> page.
        </p>
      </div>
    </div>
  );
}
