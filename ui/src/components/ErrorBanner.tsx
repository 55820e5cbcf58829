// Errors as sentences that say what to do, with the code in small type (UI.md). Never raw JSON.
// The human words for a code come from the vocabulary (the UI's wording, else the generated
// catalogue's meaning); a code neither knows still renders, as the server's message and code.
import type { BackendError } from '../backend/Backend';
import type { Reason } from '../bindings/Reason';
import { codeWords } from '../backend/vocab';

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
  /** What the code means in human words (or, for an unknown code, what its status means). */
  lead: string;
  /** The server's message as a sentence; empty when it only repeats the lead. */
  message: string;
  code: string;
  reasons: Array<{ text: string; code: string; field?: string }>;
}

/** Lower-cased letters and digits only: to tell whether two texts say the same thing. */
function gist(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

export function describeReason(r: Reason): { text: string; code: string; field?: string } {
  const words = codeWords(r.code);
  const text = words && !gist(r.message).startsWith(gist(words)) ? `${words} — ${r.message}` : r.message;
  return r.field ? { text: sentence(text), code: r.code, field: r.field } : { text: sentence(text), code: r.code };
}

export function describeError(error: BackendError): DescribedError {
  const body = error.body;
  const reasons = body.reasons
    // A single reason that repeats the message adds nothing.
    .filter((r) => !(body.reasons.length === 1 && r.message === body.message && !r.field))
    .map(describeReason);
  const lead = sentence(codeWords(body.code) ?? LEADS[body.status] ?? 'The action failed');
  const message = sentence(body.message);
  return {
    lead,
    message: gist(message) === gist(lead) ? '' : message,
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
          <strong data-testid={`${testId}-lead`}>{d.lead}</strong>
          {d.message && <span> {d.message}</span>} <code className="code-small" data-testid={`${testId}-code`}>{d.code}</code>
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
