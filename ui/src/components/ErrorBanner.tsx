// Errors as sentences that say what to do, with the code in small type (UI.md). Never raw JSON.
import type { BackendError } from '../backend/Backend';
import type { Reason } from '../bindings/Reason';
import { ruleLabel } from '../backend/vocab';

/** `no verified email: verify it` → `No verified email: verify it.` */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

const LEADS: Record<number, string> = {
  400: 'Some details need fixing.',
  403: 'Not allowed right now.',
  404: 'Not found.',
  409: 'This conflicts with existing data.',
  422: 'This cannot be done in the current state.',
  500: 'Something went wrong on this computer.',
};

export interface DescribedError {
  lead: string;
  message: string;
  code: string;
  reasons: Array<{ text: string; code: string; field?: string }>;
}

export function describeReason(r: Reason): { text: string; code: string; field?: string } {
  const label = ruleLabel(r.code);
  const text = label ? `${label} — ${r.message}` : r.message;
  return r.field ? { text: sentence(text), code: r.code, field: r.field } : { text: sentence(text), code: r.code };
}

export function describeError(error: BackendError): DescribedError {
  const body = error.body;
  const reasons = body.reasons
    // A single reason that repeats the message adds nothing.
    .filter((r) => !(body.reasons.length === 1 && r.message === body.message && !r.field))
    .map(describeReason);
  return {
    lead: LEADS[body.status] ?? 'The action failed.',
    message: sentence(body.message),
    code: body.code,
    reasons,
  };
}

export interface ErrorBannerProps {
  error: BackendError | null | undefined;
  testId?: string;
  onDismiss?: () => void;
  /** Hide reasons that carry a field path (they are shown next to their fields). */
  hideFieldReasons?: boolean;
}

export function ErrorBanner({ error, testId = 'error-banner', onDismiss, hideFieldReasons }: ErrorBannerProps) {
  if (!error) return null;
  const d = describeError(error);
  const reasons = hideFieldReasons ? d.reasons.filter((r) => !r.field) : d.reasons;
  return (
    <div className="banner banner-error" role="alert" data-testid={testId} data-code={d.code}>
      <div className="banner-body">
        <p className="banner-title">
          <span>{d.message}</span> <code className="code-small" data-testid={`${testId}-code`}>{d.code}</code>
        </p>
        {reasons.length > 0 && (
          <ul className="banner-reasons">
            {reasons.map((r, i) => (
              <li key={`${r.code}-${i}`} data-testid={`${testId}-reason-${r.code}`}>
                {r.text} <code className="code-small">{r.field ? `${r.field} · ${r.code}` : r.code}</code>
              </li>
            ))}
          </ul>
        )}
      </div>
      {onDismiss && (
        <button type="button" className="btn btn-ghost btn-small" onClick={onDismiss} aria-label="Dismiss error" data-testid={`${testId}-dismiss`}>
          ×
        </button>
      )}
    </div>
  );
}
