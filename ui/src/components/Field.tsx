// Labelled inputs that show the field errors the backend reported for their path.
import { useId } from 'react';
import type { ReactNode } from 'react';

import type { Reason } from '../bindings/Reason';

/** `addresses[0].country` → `addresses-0-country`, for test ids. */
export function pathId(path: string): string {
  return path.replace(/\[(\d+)\]/g, '-$1').replace(/\./g, '-');
}

export function errorsFor(reasons: Reason[] | undefined, path: string): Reason[] {
  return (reasons ?? []).filter((r) => r.field === path);
}

export function FieldError({ reasons, path }: { reasons: Reason[] | undefined; path: string }) {
  const mine = errorsFor(reasons, path);
  if (!mine.length) return null;
  return (
    <span className="field-error" role="alert" data-testid={`field-error-${pathId(path)}`}>
      {mine.map((r) => (
        <span key={r.code}>
          {r.message} <code className="code-small">{r.code}</code>
        </span>
      ))}
    </span>
  );
}

interface BaseProps {
  label: string;
  path?: string;
  errors?: Reason[];
  testId: string;
  hint?: ReactNode;
  required?: boolean;
  className?: string;
}

export function TextField({
  label,
  value,
  onChange,
  path,
  errors,
  testId,
  hint,
  required,
  type = 'text',
  placeholder,
  list,
  className,
  autoFocus,
  inputMode,
}: BaseProps & {
  value: string;
  onChange: (v: string) => void;
  type?: string;
  placeholder?: string;
  list?: string;
  autoFocus?: boolean;
  inputMode?: 'text' | 'decimal' | 'numeric' | 'email' | 'tel';
}) {
  const id = useId();
  const invalid = !!path && errorsFor(errors, path).length > 0;
  return (
    <div className={`field${className ? ` ${className}` : ''}`}>
      <label className="field-label" htmlFor={id}>
        {label}
        {required && <span className="req" aria-hidden="true"> *</span>}
      </label>
      <input
        id={id}
        type={type}
        value={value}
        placeholder={placeholder}
        list={list}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
        aria-invalid={invalid || undefined}
        aria-required={required || undefined}
        autoFocus={autoFocus}
        inputMode={inputMode}
      />
      {hint && <span className="field-hint">{hint}</span>}
      {path && <FieldError reasons={errors} path={path} />}
    </div>
  );
}

export function SelectField({
  label,
  value,
  onChange,
  options,
  path,
  errors,
  testId,
  required,
  emptyLabel,
  className,
}: BaseProps & {
  value: string;
  onChange: (v: string) => void;
  options: ReadonlyArray<string | { value: string; label: string }>;
  emptyLabel?: string;
}) {
  const id = useId();
  const invalid = !!path && errorsFor(errors, path).length > 0;
  return (
    <div className={`field${className ? ` ${className}` : ''}`}>
      <label className="field-label" htmlFor={id}>
        {label}
        {required && <span className="req" aria-hidden="true"> *</span>}
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} aria-invalid={invalid || undefined}>
        {emptyLabel !== undefined && <option value="">{emptyLabel}</option>}
        {options.map((o) => {
          const opt = typeof o === 'string' ? { value: o, label: o } : o;
          return (
            <option key={opt.value} value={opt.value}>
              {opt.label}
            </option>
          );
        })}
      </select>
      {path && <FieldError reasons={errors} path={path} />}
    </div>
  );
}

export function CheckField({
  label,
  checked,
  onChange,
  testId,
  path,
  errors,
  className,
}: {
  label: ReactNode;
  checked: boolean;
  onChange: (v: boolean) => void;
  testId: string;
  path?: string;
  errors?: Reason[];
  className?: string;
}) {
  const id = useId();
  return (
    <div className={`field field-check${className ? ` ${className}` : ''}`}>
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} data-testid={testId} />
      <label htmlFor={id}>{label}</label>
      {path && <FieldError reasons={errors} path={path} />}
    </div>
  );
}
