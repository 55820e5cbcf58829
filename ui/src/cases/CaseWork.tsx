// The work on one verification or EDD case: SLA, assignment, snooze, checklist with evidence,
// notes, the provider's next step (advance) and the officer's decision with failure codes.
// Used by the case review page and by the customer page's EDD tab.
import { useMemo, useState } from 'react';

import type { BackendError } from '../backend/Backend';
import { pendingOf, toBackendError } from '../backend/Backend';
import { useAppInfo, useBackend } from '../backend/context';
import {
  COMPLIANCE_CHECK_OUTCOMES,
  EDD_METHOD,
  FAILURE_CODES,
  NON_INTERACTIVE_METHODS,
  OPEN_VERIFICATION_STATES,
  humanize,
} from '../backend/vocab';
import type { StoredFileView } from '../bindings/StoredFileView';
import type { Submitted } from '../bindings/Submitted';
import type { VerificationView } from '../bindings/VerificationView';
import { PendingBanner } from '../approvals/PendingBanner';
import { Dialog } from '../components/Dialog';
import { ErrorBanner } from '../components/ErrorBanner';
import { AttachError, ScanThumb, ScanViewer, scanName, shortReference } from '../components/Scan';
import { CheckField, SelectField, TextField } from '../components/Field';
import { StateChip } from '../components/StateChip';
import { useToast } from '../components/Toast';
import { DateTime } from '../components/Values';
import { relativeTime } from '../format';
import { notifyChanged } from '../lib/events';

export function SlaChip({ v, testId }: { v: VerificationView; testId?: string }) {
  if (!OPEN_VERIFICATION_STATES.includes(v.state) || !v.sla_due_at) return null;
  if (v.sla_breached) return <StateChip value="breached" tone="red" label="SLA breached" title={`Due ${relativeTime(v.sla_due_at)}`} testId={testId} />;
  const hoursLeft = (Date.parse(v.sla_due_at) - Date.now()) / 3_600_000;
  const title = `SLA due ${relativeTime(v.sla_due_at)}`;
  if (hoursLeft < 24) return <StateChip value="near" tone="amber" label={`Due ${relativeTime(v.sla_due_at)}`} title={title} testId={testId} />;
  return <StateChip value="ok" tone="neutral" label={`Due ${relativeTime(v.sla_due_at)}`} title={title} testId={testId} />;
}

export function caseTitle(v: VerificationView): string {
  return v.method === EDD_METHOD ? 'EDD case' : `${humanize(v.type)} · ${humanize(v.method)}`;
}

/** Runs one command on the case and hands back the new view; errors stay beside the control. */
function useCaseCommand(onChange: (v: VerificationView) => void) {
  const toast = useToast();
  const backend = useBackend();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<{ where: string; error: BackendError } | null>(null);
  const run = async (where: string, work: () => Promise<Submitted<VerificationView>>, done: string): Promise<boolean> => {
    setBusy(where);
    setError(null);
    try {
      const submitted = await work();
      const pending = pendingOf(submitted);
      if (pending) {
        // Held for a second person: show the case as it is, with its pending request.
        onChange(await backend.getVerification(pending.pending_approval.entity_id));
        notifyChanged();
        toast.show('Sent for approval: another supervisor must approve it');
        return true;
      }
      onChange(submitted as VerificationView);
      notifyChanged();
      toast.show(done);
      return true;
    } catch (e) {
      setError({ where, error: toBackendError(e) });
      return false;
    } finally {
      setBusy(null);
    }
  };
  const errorFor = (where: string) => (error?.where === where ? error.error : null);
  return { busy, run, errorFor };
}

export function CaseWork({ v, onChange }: { v: VerificationView; onChange: (v: VerificationView) => void }) {
  const backend = useBackend();
  const info = useAppInfo();
  const { busy, run, errorFor } = useCaseCommand(onChange);
  const open = OPEN_VERIFICATION_STATES.includes(v.state);
  const isEdd = v.method === EDD_METHOD;
  const [assignee, setAssignee] = useState(v.assignee ?? '');
  const [snoozeUntil, setSnoozeUntil] = useState('');
  const [snoozeReason, setSnoozeReason] = useState('');
  const [note, setNote] = useState('');
  const [evidenceFor, setEvidenceFor] = useState<string | null>(null);
  // Evidence keeps a scan's reference only: the names of files attached here, for this screen.
  const [names, setNames] = useState<Record<string, string>>({});
  const [viewing, setViewing] = useState<{ reference: string; name: string } | null>(null);

  return (
    <div className="stack" data-testid="case-work" data-case-id={v.id} data-state={v.state}>
      <PendingBanner approvals={v.pending_approvals ?? []} testId="case-pending-approvals" />
      <div className="panel">
        <div className="panel-title">
          <h2>{caseTitle(v)}</h2>
          <StateChip kind="verification" value={v.state} testId="case-state" />
          {v.outcome && <StateChip kind="outcome" value={v.outcome} testId="case-outcome" />}
          {isEdd && <StateChip value="edd" tone="purple" label="EDD" />}
          <SlaChip v={v} testId="case-sla" />
        </div>
        <dl className="kv">
          <dt>Opened</dt>
          <dd>
            <DateTime value={v.created_at} />
          </dd>
          <dt>SLA due</dt>
          <dd>
            <DateTime value={v.sla_due_at} />
          </dd>
          {v.expires_at && (
            <>
              <dt>Expires</dt>
              <dd>
                <DateTime value={v.expires_at} />
              </dd>
            </>
          )}
          {v.completed_at && (
            <>
              <dt>Completed</dt>
              <dd>
                <DateTime value={v.completed_at} />
              </dd>
            </>
          )}
          {v.external_reference && (
            <>
              <dt>Provider reference</dt>
              <dd className="mono">{v.external_reference}</dd>
            </>
          )}
          {v.failure_codes.length > 0 && (
            <>
              <dt>Failure codes</dt>
              <dd className="mono">{v.failure_codes.join(', ')}</dd>
            </>
          )}
          <dt>Assignee</dt>
          <dd data-testid="case-assignee">{v.assignee ?? <span className="muted">Unassigned</span>}</dd>
          <dt>Snoozed until</dt>
          <dd data-testid="case-snoozed">{v.snoozed_until ? <DateTime value={v.snoozed_until} /> : <span className="muted">Not snoozed</span>}</dd>
        </dl>
        <div className="row" style={{ marginTop: 10, alignItems: 'flex-end' }}>
          <TextField label="Assign to" value={assignee} onChange={setAssignee} testId="case-assign-input" placeholder={info?.actor ?? 'name'} />
          <button type="button" className="btn" disabled={!!busy || !assignee.trim()} onClick={() => void run('assign', () => backend.assignCase(v.id, assignee.trim()), 'Case assigned')} data-testid="case-assign-save">
            Assign
          </button>
          {info && v.assignee !== info.actor && (
            <button type="button" className="btn" disabled={!!busy} onClick={() => { setAssignee(info.actor); void run('assign', () => backend.assignCase(v.id, info.actor), 'Assigned to you'); }} data-testid="case-assign-me">
              Assign to me
            </button>
          )}
          {v.assignee && (
            <button type="button" className="btn btn-ghost" disabled={!!busy} onClick={() => { setAssignee(''); void run('assign', () => backend.assignCase(v.id, null), 'Case unassigned'); }} data-testid="case-unassign">
              Unassign
            </button>
          )}
        </div>
        <ErrorBanner error={errorFor('assign')} testId="case-assign-error" />
        {open && (
          <div className="row" style={{ marginTop: 8, alignItems: 'flex-end' }}>
            <TextField label="Snooze until" type="date" value={snoozeUntil} onChange={setSnoozeUntil} testId="case-snooze-until" />
            <TextField label="Why (optional)" value={snoozeReason} onChange={setSnoozeReason} testId="case-snooze-reason" />
            <button type="button" className="btn" disabled={!!busy || !snoozeUntil} onClick={() => void run('snooze', () => backend.snoozeCase(v.id, snoozeUntil, snoozeReason.trim() || null), 'Case snoozed')} data-testid="case-snooze-save">
              Snooze
            </button>
            {v.snoozed_until && (
              <button type="button" className="btn btn-ghost" disabled={!!busy} onClick={() => void run('snooze', () => backend.snoozeCase(v.id, null, null), 'Case woken')} data-testid="case-wake">
                Wake now
              </button>
            )}
          </div>
        )}
        <ErrorBanner error={errorFor('snooze')} testId="case-snooze-error" />
      </div>

      {v.checklist && (
        <div className="panel" data-testid="case-checklist">
          <div className="panel-title">
            <h2>Checklist</h2>
            <span className="subtitle">
              {v.checklist.filter((i) => i.satisfied).length} of {v.checklist.length} with evidence
            </span>
          </div>
          {v.checklist.map((item) => (
            <div key={item.item} className="check-item" data-satisfied={item.satisfied} data-testid={`checklist-item-${item.item}`}>
              <div className="row">
                <span aria-hidden="true" className={item.satisfied ? 'chip chip-green' : 'chip chip-amber'}>
                  {item.satisfied ? '✓ Evidence' : '✗ No evidence'}
                </span>
                <strong>{humanize(item.item)}</strong>
                <code className="code-small">{item.item}</code>
                <span className="spacer" />
                {open && (
                  <button type="button" className="btn btn-small" onClick={() => setEvidenceFor(item.item)} data-testid={`evidence-attach-${item.item}`}>
                    Attach evidence…
                  </button>
                )}
              </div>
              {item.evidence.map((e) => (
                <div key={e.id} className="evidence" style={{ marginTop: 6 }} data-testid={`evidence-${item.item}-${e.id}`}>
                  <ScanThumb
                    reference={e.reference}
                    name={names[e.reference]}
                    fallbackName={evidenceFallback(item.item)}
                    onOpen={() => setViewing({ reference: e.reference, name: scanName(e.reference, names[e.reference], evidenceFallback(item.item)) })}
                    testId={`evidence-${item.item}-${e.id}-scan`}
                  />
                  <div>
                    <code className="code-small" title={e.reference}>
                      {shortReference(e.reference)}
                    </code>
                    {e.description && <div>{e.description}</div>}
                    <div className="faint">
                      {e.added_by} · <DateTime value={e.added_at} />
                    </div>
                  </div>
                </div>
              ))}
            </div>
          ))}
        </div>
      )}

      {(v.compliance_checks.length > 0 || v.compliance_decisions.length > 0) && (
        <div className="panel">
          <h2>Compliance checks and decisions</h2>
          <table className="table">
            <tbody>
              {v.compliance_checks.map((c, i) => (
                <tr key={`c${i}`}>
                  <td>Check</td>
                  <td>{humanize(c.type)}</td>
                  <td>
                    <StateChip kind="outcome" value={c.outcome} />
                  </td>
                  <td className="mono">{c.failure_codes.join(', ')}</td>
                </tr>
              ))}
              {v.compliance_decisions.map((d, i) => (
                <tr key={`d${i}`}>
                  <td>Decision</td>
                  <td>{humanize(d.type)}</td>
                  <td>
                    <StateChip kind="outcome" value={d.state} />
                  </td>
                  <td>{d.expired_at ? <DateTime value={d.expired_at} /> : <span className="mono">{d.failure_codes.join(', ')}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <div className="panel" data-testid="case-notes">
        <h2>Notes</h2>
        {v.notes.length === 0 && <p className="muted">No notes yet.</p>}
        <ul className="timeline">
          {v.notes.map((n) => (
            <li key={n.id} data-testid={`note-${n.id}`}>
              <span className="faint">
                <DateTime value={n.created_at} />
                <br />
                {n.author}
              </span>
              <span style={{ whiteSpace: 'pre-wrap' }}>{n.text}</span>
            </li>
          ))}
        </ul>
        <div className="field" style={{ marginTop: 8 }}>
          <label className="field-label" htmlFor={`note-${v.id}`}>
            Add a note
          </label>
          <textarea id={`note-${v.id}`} rows={2} value={note} onChange={(e) => setNote(e.target.value)} data-testid="note-text" />
        </div>
        <div className="row" style={{ marginTop: 6 }}>
          <button
            type="button"
            className="btn"
            disabled={!!busy || !note.trim()}
            onClick={async () => {
              if (await run('note', () => backend.addNote(v.id, note.trim()), 'Note added')) setNote('');
            }}
            data-testid="note-add"
          >
            Add note
          </button>
        </div>
        <ErrorBanner error={errorFor('note')} testId="note-error" />
      </div>

      {open && !isEdd && <AdvanceForm key={v.state} v={v} onChange={onChange} />}
      {open && <DecideForm v={v} onChange={onChange} />}

      {v.decisions.length > 0 && (
        <div className="panel" data-testid="case-decisions">
          <h2>Decisions</h2>
          <DecisionList decisions={v.decisions} />
        </div>
      )}

      {evidenceFor && (
        <EvidenceDialog
          item={evidenceFor}
          onClose={() => setEvidenceFor(null)}
          onSave={async (file, description) => {
            const ok = await run('evidence', () => backend.addEvidence(v.id, { item: evidenceFor, reference: file.reference, description }), 'Evidence attached');
            if (ok) setNames((n) => ({ ...n, [file.reference]: file.name }));
            return ok;
          }}
          error={errorFor('evidence')}
        />
      )}
      {viewing && <ScanViewer reference={viewing.reference} name={viewing.name} onClose={() => setViewing(null)} />}
    </div>
  );
}

export function DecisionList({ decisions }: { decisions: VerificationView['decisions'] }) {
  return (
    <ul className="timeline">
      {[...decisions].reverse().map((d) => (
        <li key={d.id} data-testid={`decision-${d.id}`}>
          <span className="faint">
            <DateTime value={d.decided_at} />
            <br />
            {d.decided_by}
          </span>
          <span>
            <span className="row" style={{ gap: 6 }}>
              <StateChip kind="outcome" value={d.outcome} />
              <span className="muted">{humanize(d.kind)}</span>
            </span>
            <span style={{ display: 'block', whiteSpace: 'pre-wrap' }}>{d.reason}</span>
            {d.failure_codes.length > 0 && <code className="code-small">{d.failure_codes.join(', ')}</code>}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** What a piece of evidence is called when its file's name is not known. */
function evidenceFallback(item: string): string {
  return `Evidence (${humanize(item).toLowerCase()})`;
}

function EvidenceDialog({
  item,
  onClose,
  onSave,
  error,
}: {
  item: string;
  onClose: () => void;
  onSave: (file: StoredFileView, description: string | null) => Promise<boolean>;
  error: BackendError | null;
}) {
  const backend = useBackend();
  const [path, setPath] = useState('');
  const [attached, setAttached] = useState<StoredFileView | null>(null);
  const [attachError, setAttachError] = useState<BackendError | null>(null);
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState<'pick' | 'path' | 'save' | null>(null);

  const browse = async () => {
    setBusy('pick');
    setAttachError(null);
    try {
      const picked = await backend.openFile();
      if (picked) {
        setAttached(picked);
        setPath('');
      }
    } catch (e) {
      setAttachError(toBackendError(e));
    } finally {
      setBusy(null);
    }
  };
  /** Attaches the typed path (copies the scan into the data directory); null when refused. */
  const attachTyped = async (): Promise<StoredFileView | null> => {
    const p = path.trim();
    if (!p) return attached;
    setBusy('path');
    setAttachError(null);
    try {
      const stored = await backend.attachFile(p);
      setAttached(stored);
      setPath('');
      return stored;
    } catch (e) {
      setAttachError(toBackendError(e));
      return null;
    } finally {
      setBusy(null);
    }
  };
  const save = async () => {
    // A typed path is attached first, so Attach works straight from the path.
    const file = path.trim() ? await attachTyped() : attached;
    if (!file) return;
    setBusy('save');
    const ok = await onSave(file, description.trim() || null);
    setBusy(null);
    if (ok) onClose();
  };
  return (
    <Dialog
      title={`Evidence for ${humanize(item)}`}
      onClose={onClose}
      testId="evidence-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} data-testid="evidence-cancel">
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void save()} disabled={!!busy || (!attached && !path.trim())} data-testid="evidence-save">
            {busy === 'save' || busy === 'path' ? 'Attaching…' : 'Attach'}
          </button>
        </>
      }
    >
      {attached && (
        <div className="row" style={{ alignItems: 'flex-end' }} data-testid="evidence-attached" data-reference={attached.reference}>
          <ScanThumb reference={attached.reference} name={attached.name} fallbackName={evidenceFallback(item)} />
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setAttached(null)} aria-label={`Remove ${attached.name}`} data-testid="evidence-attached-remove">
            Remove
          </button>
        </div>
      )}
      <div className="row" style={{ alignItems: 'flex-end' }}>
        <div className="field spacer">
          <label className="field-label" htmlFor="evidence-path">
            {attached ? 'Or another file: its full path' : 'File: its full path'}
          </label>
          <input
            id="evidence-path"
            value={path}
            placeholder="/home/you/scans/statement.pdf"
            onChange={(e) => {
              setPath(e.target.value);
              setAttachError(null);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                void attachTyped();
              }
            }}
            aria-invalid={attachError ? true : undefined}
            aria-describedby="evidence-path-hint evidence-path-error"
            data-testid="evidence-reference"
          />
          <span id="evidence-path-hint" className="field-hint">
            A PNG, JPEG, GIF, WebP or PDF file, copied into Dossier's data directory. Enter attaches it.
          </span>
          <AttachError error={attachError} id="evidence-path-error" testId="evidence-path-error" />
        </div>
        <button type="button" className="btn" onClick={() => void browse()} disabled={!!busy} data-testid="evidence-browse">
          {busy === 'pick' ? 'Choosing…' : 'Browse…'}
        </button>
      </div>
      <TextField label="Description (optional)" value={description} onChange={setDescription} testId="evidence-description" />
      <ErrorBanner error={error} testId="evidence-error" />
    </Dialog>
  );
}

export function FailureCodePicker({ value, onChange, testPrefix }: { value: string[]; onChange: (codes: string[]) => void; testPrefix: string }) {
  const [filter, setFilter] = useState('');
  const shown = useMemo(() => FAILURE_CODES.filter((c) => c.includes(filter.trim().toLowerCase())), [filter]);
  return (
    <fieldset>
      <legend className="field-label">Failure codes ({value.length} chosen)</legend>
      <TextField label="Filter codes" value={filter} onChange={setFilter} testId={`${testPrefix}-filter`} placeholder="e.g. id_" />
      <div className="codes" style={{ marginTop: 6 }}>
        {shown.map((code) => (
          <CheckField
            key={code}
            label={<code className="mono">{code}</code>}
            checked={value.includes(code)}
            onChange={(on) => onChange(on ? [...value, code] : value.filter((c) => c !== code))}
            testId={`${testPrefix}-${code}`}
          />
        ))}
      </div>
    </fieldset>
  );
}

function DecideForm({ v, onChange }: { v: VerificationView; onChange: (v: VerificationView) => void }) {
  const backend = useBackend();
  const { busy, run, errorFor } = useCaseCommand(onChange);
  const [outcome, setOutcome] = useState<'passed' | 'failed' | ''>('');
  const [reason, setReason] = useState('');
  const [codes, setCodes] = useState<string[]>([]);
  const ready = outcome !== '' && reason.trim() !== '';
  return (
    <div className="panel" data-testid="case-decide">
      <h2>Decide</h2>
      <div className="row" role="radiogroup" aria-label="Outcome" style={{ marginBottom: 8 }}>
        {(['passed', 'failed'] as const).map((o) => (
          <label key={o} className="row" style={{ gap: 4 }}>
            <input type="radio" name={`outcome-${v.id}`} checked={outcome === o} onChange={() => setOutcome(o)} data-testid={`decide-outcome-${o}`} />
            {o === 'passed' ? 'Pass' : 'Fail'}
          </label>
        ))}
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`reason-${v.id}`}>
          Reason <span className="req">*</span>
        </label>
        <textarea id={`reason-${v.id}`} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="decide-reason" />
      </div>
      {outcome === 'failed' && <FailureCodePicker value={codes} onChange={setCodes} testPrefix="decide-failure-code" />}
      <div className="row" style={{ marginTop: 8 }}>
        <button
          type="button"
          className={`btn ${outcome === 'failed' ? 'btn-danger' : 'btn-primary'}`}
          disabled={!ready || !!busy}
          onClick={() =>
            void run(
              'decide',
              () => backend.decideVerification(v.id, { outcome, reason: reason.trim(), failure_codes: outcome === 'failed' ? codes : [] }),
              outcome === 'passed' ? 'Case passed' : 'Case failed',
            )
          }
          data-testid="decide-submit"
        >
          {outcome === 'failed' ? 'Record: failed' : outcome === 'passed' ? 'Record: passed' : 'Record decision'}
        </button>
        {v.method === EDD_METHOD && <span className="field-hint">Passing needs evidence for every checklist item.</span>}
      </div>
      <ErrorBanner error={errorFor('decide')} testId="decide-error" />
    </div>
  );
}

function AdvanceForm({ v, onChange }: { v: VerificationView; onChange: (v: VerificationView) => void }) {
  const backend = useBackend();
  const { busy, run, errorFor } = useCaseCommand(onChange);
  const steps: Record<string, string[]> = {
    storing: ['waiting', ...(NON_INTERACTIVE_METHODS.includes(v.method) ? ['completed'] : [])],
    waiting: ['pending', 'expired'],
    pending: ['reviewing', 'completed', 'expired'],
    reviewing: ['completed'],
  };
  const options = steps[v.state] ?? [];
  const [to, setTo] = useState(options[0] ?? '');
  const [outcome, setOutcome] = useState('passed');
  const [codes, setCodes] = useState<string[]>([]);
  const [checkType, setCheckType] = useState('');
  const [checkOutcome, setCheckOutcome] = useState('passed');
  if (!options.length) return null;
  return (
    <div className="panel" data-testid="case-advance">
      <h2>Record the provider's next step</h2>
      <div className="row" style={{ alignItems: 'flex-end' }}>
        <SelectField label="Move to" value={to} onChange={setTo} options={options.map((o) => ({ value: o, label: humanize(o) }))} testId="advance-to" />
        {to === 'completed' && (
          <SelectField label="Outcome" value={outcome} onChange={setOutcome} options={[{ value: 'passed', label: 'Passed' }, { value: 'failed', label: 'Failed' }]} testId="advance-outcome" />
        )}
        <TextField label="Compliance check (optional)" value={checkType} onChange={setCheckType} testId="advance-check-type" placeholder="person_watchlists" />
        {checkType.trim() && (
          <SelectField label="Check outcome" value={checkOutcome} onChange={setCheckOutcome} options={COMPLIANCE_CHECK_OUTCOMES} testId="advance-check-outcome" />
        )}
      </div>
      {to === 'completed' && outcome === 'failed' && <FailureCodePicker value={codes} onChange={setCodes} testPrefix="advance-failure-code" />}
      <div className="row" style={{ marginTop: 8 }}>
        <button
          type="button"
          className="btn"
          disabled={!to || !!busy}
          onClick={() =>
            void run(
              'advance',
              () =>
                backend.advanceVerification(v.id, {
                  to,
                  outcome: to === 'completed' ? outcome : null,
                  failure_codes: to === 'completed' && outcome === 'failed' ? codes : [],
                  compliance_checks: checkType.trim() ? [{ type: checkType.trim(), outcome: checkOutcome, failure_codes: [] }] : [],
                }),
              `Moved to ${humanize(to).toLowerCase()}`,
            )
          }
          data-testid="advance-submit"
        >
          Record step
        </button>
      </div>
      <ErrorBanner error={errorFor('advance')} testId="advance-error" />
    </div>
  );
}
