// Perform KYC (Qolo): the results so far, out-of-wallet questions with their answers, a
// re-attempt, and the client override (provider, reference, level and a reason).
import { useState } from 'react';

import type { BackendError } from '../backend/Backend';
import { appliedOf, toBackendError } from '../backend/Backend';
import { useBackend } from '../backend/context';
import { humanize } from '../backend/vocab';
import type { PerformKycInput } from '../bindings/PerformKycInput';
import { EmptyState, Skeleton } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { CheckField, SelectField, TextField } from '../components/Field';
import { StateChip } from '../components/StateChip';
import { useToast } from '../components/Toast';
import { DateTime } from '../components/Values';
import { notifyChanged } from '../lib/events';
import { useAsync } from '../lib/useAsync';

function emptyPerform(): PerformKycInput {
  return { perform_kyc: null, notes: null, identifications: [], answers: [], document: null, client_verification: null, program_guid: null };
}

export function KycPanel({ customerId, onDone }: { customerId: string; onDone?: () => void }) {
  const backend = useBackend();
  const toast = useToast();
  const results = useAsync(() => backend.kycResults(customerId), [customerId]);
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [notes, setNotes] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<{ where: string; error: BackendError } | null>(null);
  const [override, setOverride] = useState({ provider: '', reference: '', level: '', reason: '', status: true, sanctions: false });

  const perform = async (where: string, input: PerformKycInput, done: string) => {
    setBusy(where);
    setError(null);
    try {
      const submitted = await backend.performKyc(customerId, input);
      const view = appliedOf(submitted);
      if (view) {
        results.set(view);
        toast.show(done);
      } else {
        toast.show('Sent for approval: another supervisor must approve the override');
      }
      notifyChanged();
      onDone?.();
      return true;
    } catch (e) {
      setError({ where, error: toBackendError(e) });
      return false;
    } finally {
      setBusy(null);
    }
  };
  const errorFor = (where: string) => (error?.where === where ? error.error : null);
  const data = results.data;
  const open = data?.open_questions ?? [];
  const allAnswered = open.length > 0 && open.every((q) => (answers[q.key] ?? '').trim() !== '');

  return (
    <div className="stack" data-testid="kyc-panel">
      <div className="panel">
        <div className="panel-title">
          <h2>KYC results</h2>
        </div>
        <ErrorBanner error={results.error} testId="kyc-error" />
        {results.loading && !data ? (
          <Skeleton rows={2} />
        ) : data && data.results.length === 0 ? (
          <EmptyState title="No KYC attempt yet" testId="kyc-empty">
            Re-attempt below, or record a client override.
          </EmptyState>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>When</th>
                <th>Action</th>
                <th>Status</th>
                <th>Level</th>
                <th>Provider</th>
                <th>Reference</th>
                <th>Codes</th>
              </tr>
            </thead>
            <tbody>
              {[...(data?.results ?? [])].reverse().map((r) => (
                <tr key={r.id} data-testid={`kyc-result-${r.id}`}>
                  <td>
                    <DateTime value={r.created_at} />
                  </td>
                  <td>{humanize(r.action)}</td>
                  <td>
                    <StateChip value={r.status} tone={r.status === 'overridden' ? 'green' : r.status === 'reported' ? 'blue' : 'neutral'} />
                  </td>
                  <td>{r.verification_level ?? '—'}</td>
                  <td>{r.provider ?? '—'}</td>
                  <td className="mono">{r.provider_reference ?? '—'}</td>
                  <td className="mono">{[r.response_code, ...r.reason_codes].filter(Boolean).join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      {open.length > 0 && (
        <div className="panel" data-testid="kyc-questions">
          <h2>Out-of-wallet questions</h2>
          <p className="muted">Ask the customer; answers are sent, never shown again.</p>
          {open.map((q) => (
            <div key={q.key} style={{ marginBottom: 8 }}>
              {q.options.length ? (
                <SelectField label={q.prompt} value={answers[q.key] ?? ''} onChange={(v) => setAnswers({ ...answers, [q.key]: v })} options={q.options} emptyLabel="Choose…" testId={`kyc-answer-${q.key}`} />
              ) : (
                <TextField label={q.prompt} value={answers[q.key] ?? ''} onChange={(v) => setAnswers({ ...answers, [q.key]: v })} testId={`kyc-answer-${q.key}`} />
              )}
            </div>
          ))}
          <button
            type="button"
            className="btn btn-primary"
            disabled={!allAnswered || !!busy}
            onClick={async () => {
              const ok = await perform('answers', { ...emptyPerform(), answers: open.map((q) => ({ key: q.key, answer: answers[q.key] ?? null })) }, 'Answers sent');
              if (ok) setAnswers({});
            }}
            data-testid="kyc-answers-submit"
          >
            Send answers
          </button>
          <ErrorBanner error={errorFor('answers')} testId="kyc-answers-error" />
        </div>
      )}

      <div className="panel" data-testid="kyc-reattempt">
        <h2>Re-attempt KYC</h2>
        <p className="muted">After correcting the customer's data, ask the provider to run KYC again.</p>
        <TextField label="Notes (optional)" value={notes} onChange={setNotes} testId="kyc-reattempt-notes" />
        <div className="row" style={{ marginTop: 6 }}>
          <button
            type="button"
            className="btn"
            disabled={!!busy}
            onClick={async () => {
              if (await perform('reattempt', { ...emptyPerform(), perform_kyc: true, notes: notes.trim() || null }, 'KYC re-attempt queued')) setNotes('');
            }}
            data-testid="kyc-reattempt-submit"
          >
            Re-attempt
          </button>
        </div>
        <ErrorBanner error={errorFor('reattempt')} testId="kyc-reattempt-error" />
      </div>

      <div className="panel" data-testid="kyc-override">
        <h2>Client override</h2>
        <p className="muted">Record that another party verified this customer. Recorded at once as a passed attested verification.</p>
        <div className="form-grid">
          <TextField label="Verification provider" value={override.provider} onChange={(v) => setOverride({ ...override, provider: v })} path="client_verification.verification_provider" errors={errorFor('override')?.body.reasons} testId="override-provider" required />
          <TextField label="Provider reference" value={override.reference} onChange={(v) => setOverride({ ...override, reference: v })} path="client_verification.verification_provider_refnumber" errors={errorFor('override')?.body.reasons} testId="override-reference" required />
          <TextField label="Level" value={override.level} onChange={(v) => setOverride({ ...override, level: v })} path="client_verification.verification_level" errors={errorFor('override')?.body.reasons} testId="override-level" placeholder="CDD" required />
          <CheckField label="Update the person's status" checked={override.status} onChange={(v) => setOverride({ ...override, status: v })} testId="override-status-update" />
          <CheckField label="Override sanction check" checked={override.sanctions} onChange={(v) => setOverride({ ...override, sanctions: v })} testId="override-sanctions" />
        </div>
        <div className="field" style={{ marginTop: 8 }}>
          <label className="field-label" htmlFor={`override-reason-${customerId}`}>
            Reason <span className="req">*</span>
          </label>
          <textarea id={`override-reason-${customerId}`} rows={2} value={override.reason} onChange={(e) => setOverride({ ...override, reason: e.target.value })} data-testid="override-reason" />
        </div>
        <div className="row" style={{ marginTop: 6 }}>
          <button
            type="button"
            className="btn btn-primary"
            disabled={!!busy || !override.provider.trim() || !override.reference.trim() || !override.level.trim() || !override.reason.trim()}
            onClick={async () => {
              const ok = await perform(
                'override',
                {
                  ...emptyPerform(),
                  client_verification: {
                    document_approved: null,
                    person_status_update: override.status,
                    override_sanction_check: override.sanctions,
                    verification_datetime: new Date().toISOString(),
                    verification_provider: override.provider.trim(),
                    verification_provider_refnumber: override.reference.trim(),
                    verification_level: override.level.trim(),
                    reason: override.reason.trim(),
                    document: null,
                  },
                },
                'Client override recorded',
              );
              if (ok) setOverride({ provider: '', reference: '', level: '', reason: '', status: true, sanctions: false });
            }}
            data-testid="override-submit"
          >
            Record override
          </button>
        </div>
        <ErrorBanner error={errorFor('override')} testId="override-error" />
      </div>
    </div>
  );
}
