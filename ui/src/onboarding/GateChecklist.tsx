// The live gate checklist (UI.md, "the heart of onboarding"): for `partial` and `full`, every
// verify rule in the gate's order with a tick or a cross, in human words, with the reason code
// in small type. A refused verify shows the server's reasons in the same panel.
import type { ReactNode } from 'react';

import type { BackendError } from '../backend/Backend';
import { codeWords, rulesFor } from '../backend/vocab';
import type { GateLevelView } from '../bindings/GateLevelView';
import type { GateView } from '../bindings/GateView';
import type { Reason } from '../bindings/Reason';
import { pathId } from '../components/Field';
import { sentence } from '../components/ErrorBanner';

export type RuleState = 'pass' | 'fail' | 'unknown';

export interface ChecklistRow {
  code: string;
  state: RuleState;
  label: string;
  message?: string;
}

/** Every rule of `level` in the gate's order, ticked unless the gate lists it as failing. */
export function checklistRows(level: 'partial' | 'full', view: GateLevelView | null | undefined): ChecklistRow[] {
  const rules = rulesFor(level);
  const rows: ChecklistRow[] = rules.map((rule) => {
    if (!view) return { code: rule.code, state: 'unknown', label: rule.okLabel };
    const failing = view.reasons.find((r) => r.code === rule.code);
    return failing
      ? { code: rule.code, state: 'fail', label: failing.label || rule.label, message: failing.message }
      : { code: rule.code, state: 'pass', label: rule.okLabel };
  });
  // Codes the UI does not know yet (a newer backend) still show, after the known ones.
  view?.reasons
    .filter((r) => !rules.some((rule) => rule.code === r.code))
    .forEach((r) => rows.push({ code: r.code, state: 'fail', label: r.label || r.code, message: r.message }));
  return rows;
}

const MARK: Record<RuleState, string> = { pass: '✓', fail: '✗', unknown: '·' };
const STATE_WORD: Record<RuleState, string> = { pass: 'met', fail: 'missing', unknown: 'not checked yet' };

function LevelBlock({ level, view }: { level: 'partial' | 'full'; view: GateLevelView | null | undefined }) {
  const rows = checklistRows(level, view);
  const missing = rows.filter((r) => r.state === 'fail').length;
  const status = !view ? 'Waiting for the form' : view.passes ? 'Passes' : `${missing} missing`;
  return (
    <section className="gate-level" data-testid={`gate-${level}`} data-passes={view ? String(view.passes) : 'unknown'}>
      <div className="gate-head">
        <h3 style={{ margin: 0 }}>{level === 'partial' ? 'Verify — partial' : 'Verify — full'}</h3>
        <span
          className={`chip ${!view ? 'chip-neutral' : view.passes ? 'chip-green' : 'chip-red'}`}
          data-testid={`gate-${level}-status`}
        >
          {status}
        </span>
      </div>
      <ul className="gate-rules">
        {rows.map((r) => (
          <li
            key={r.code}
            className="gate-rule"
            data-state={r.state}
            data-testid={`gate-${level}-rule-${r.code}`}
            title={r.message ? sentence(r.message) : undefined}
          >
            <span className="gate-mark" aria-hidden="true">
              {MARK[r.state]}
            </span>
            <span>
              {r.label}
              <span className="sr-only">: {STATE_WORD[r.state]}</span>
            </span>
            <code className="code-small">{r.code}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}

export interface GateChecklistProps {
  gate: GateView | null;
  loading?: boolean;
  /** Input faults (from `preview_gate`'s `field_errors`): listed so the clerk knows what blocks. */
  fieldErrors?: Reason[];
  /** True when the gate was computed from the valid parts of a form that still has faults. */
  approximate?: boolean;
  /** A verify or activate the server refused, shown with its reasons. */
  refusal?: { action: string; error: BackendError } | null;
  title?: string;
  children?: ReactNode;
}

export function GateChecklist({ gate, loading, fieldErrors, approximate, refusal, title = 'Verify checklist', children }: GateChecklistProps) {
  return (
    <aside className="panel checklist-panel" aria-label="Verify checklist" aria-live="polite" data-testid="gate-checklist" aria-busy={loading || undefined}>
      <div className="panel-title">
        <h2>{title}</h2>
        {loading && <span className="faint" data-testid="gate-loading">checking…</span>}
      </div>
      <LevelBlock level="partial" view={gate?.partial} />
      <LevelBlock level="full" view={gate?.full} />
      {approximate && (
        <p className="field-hint" data-testid="gate-approximate" style={{ marginTop: 8 }}>
          Checked on the valid parts of the form only.
        </p>
      )}
      {fieldErrors && fieldErrors.length > 0 && (
        <div className="banner banner-warn" data-testid="gate-field-errors">
          <div className="banner-body">
            <p className="banner-title">
              {fieldErrors.length === 1 ? '1 field needs fixing' : `${fieldErrors.length} fields need fixing`} before saving.
            </p>
            <ul className="banner-reasons">
              {fieldErrors.map((r, i) => (
                <li key={`${r.field ?? ''}-${r.code}-${i}`} data-testid={`gate-field-error-${pathId(r.field ?? r.code)}`}>
                  {sentence(r.message)} <code className="code-small">{r.field ? `${r.field} · ${r.code}` : r.code}</code>
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
      {refusal && (
        <div className="banner banner-error" role="alert" data-testid="gate-refusal" data-code={refusal.error.code}>
          <div className="banner-body">
            <p className="banner-title">
              {refusal.action} was refused: {sentence(refusal.error.message)}{' '}
              <code className="code-small">{refusal.error.code}</code>
            </p>
            {refusal.error.body.reasons.length > 0 && (
              <ul className="banner-reasons">
                {refusal.error.body.reasons.map((r, i) => (
                  <li key={`${r.code}-${i}`} data-testid={`gate-refusal-reason-${r.code}`}>
                    {codeWords(r.code) ?? sentence(r.message)} <code className="code-small">{r.code}</code>
                  </li>
                ))}
              </ul>
            )}
          </div>
        </div>
      )}
      {children}
    </aside>
  );
}
