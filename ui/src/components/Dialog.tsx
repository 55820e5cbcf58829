// A modal dialog: focus moves in, Tab stays inside, Esc closes, focus returns on close.
import { useEffect, useId, useRef, useState } from 'react';
import type { ReactNode } from 'react';

import type { BackendError } from '../backend/Backend';
import { toBackendError } from '../backend/Backend';
import { ErrorBanner } from './ErrorBanner';

export interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  testId?: string;
  wide?: boolean;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function Dialog({ title, onClose, children, footer, testId = 'dialog', wide }: DialogProps) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const node = ref.current;
    const first =
      node?.querySelector<HTMLElement>('[data-autofocus]') ??
      node?.querySelector<HTMLElement>(`.dialog-body :is(${FOCUSABLE})`) ??
      node?.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        closeRef.current();
      } else if (e.key === 'Tab' && node) {
        const items = Array.from(node.querySelectorAll<HTMLElement>(FOCUSABLE));
        if (!items.length) return;
        const firstEl = items[0]!;
        const lastEl = items[items.length - 1]!;
        if (e.shiftKey && document.activeElement === firstEl) {
          e.preventDefault();
          lastEl.focus();
        } else if (!e.shiftKey && document.activeElement === lastEl) {
          e.preventDefault();
          firstEl.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      previous?.focus?.();
    };
  }, []);

  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={ref}
        className={`dialog${wide ? ' dialog-wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={testId}
      >
        <header className="dialog-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="btn btn-ghost btn-small" onClick={onClose} aria-label="Close" data-testid={`${testId}-close`}>
            ×
          </button>
        </header>
        <div className="dialog-body">{children}</div>
        {footer && <footer className="dialog-footer">{footer}</footer>}
      </div>
    </div>
  );
}

export interface ReasonDialogProps {
  title: string;
  /** What will happen, in one sentence. */
  description?: ReactNode;
  confirmLabel: string;
  /** A required reason (lifecycle actions, discards); optional when false. */
  reasonRequired?: boolean;
  reasonLabel?: string;
  destructive?: boolean;
  onConfirm: (reason: string) => Promise<void>;
  onClose: () => void;
  testId?: string;
  children?: ReactNode;
}

/** Destructive or four-eyes actions ask for their reason in the dialog itself (UI.md). */
export function ReasonDialog({
  title,
  description,
  confirmLabel,
  reasonRequired = true,
  reasonLabel = 'Reason',
  destructive,
  onConfirm,
  onClose,
  testId = 'dialog',
  children,
}: ReasonDialogProps) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const id = useId();
  const blank = reason.trim() === '';
  const submit = async () => {
    if (reasonRequired && blank) return;
    setBusy(true);
    setError(null);
    try {
      await onConfirm(reason.trim());
      onClose();
    } catch (e) {
      setError(toBackendError(e));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={title}
      onClose={onClose}
      testId={testId}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} data-testid={`${testId}-cancel`}>
            Cancel
          </button>
          <button
            type="button"
            className={`btn ${destructive ? 'btn-danger' : 'btn-primary'}`}
            onClick={submit}
            disabled={busy || (reasonRequired && blank)}
            data-testid={`${testId}-confirm`}
          >
            {busy ? 'Working…' : confirmLabel}
          </button>
        </>
      }
    >
      {description && <p className="muted">{description}</p>}
      {children}
      <label className="field" htmlFor={id}>
        <span className="field-label">
          {reasonLabel}
          {reasonRequired ? '' : ' (optional)'}
        </span>
        <textarea
          id={id}
          rows={3}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          data-autofocus
          data-testid={`${testId}-reason`}
          aria-required={reasonRequired}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) void submit();
          }}
        />
        <span className="field-hint">Goes to the audit trail. Ctrl+Enter to confirm.</span>
      </label>
      <ErrorBanner error={error} testId={`${testId}-error`} />
    </Dialog>
  );
}
