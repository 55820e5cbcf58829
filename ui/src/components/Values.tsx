// Small value renderers: dates with relative tooltips, money right-aligned, masked numbers.
import { formatDate, formatDateTime, formatMoney, relativeTime } from '../format';

export function DateTime({ value, dateOnly, testId }: { value: string | null | undefined; dateOnly?: boolean; testId?: string }) {
  if (!value) return <span className="muted" data-testid={testId}>—</span>;
  const text = dateOnly ? formatDate(value) : formatDateTime(value);
  return (
    <time className="num" dateTime={value} title={relativeTime(value)} data-testid={testId}>
      {text}
    </time>
  );
}

export function Money({ amount, currency, testId }: { amount: string | null | undefined; currency?: string | null; testId?: string }) {
  return (
    <span className="num money" data-testid={testId}>
      {formatMoney(amount, currency)}
    </span>
  );
}
