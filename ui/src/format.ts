// Formatting rules shared by every screen (UI.md): dates as `2026-11-22 14:03` in the user's
// zone with relative time in tooltips, money as decimal strings with their currency code
// (never through a float), counts with tabular numerals.

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** An RFC 3339 timestamp as `YYYY-MM-DD HH:MM` in local time; a plain date stays as it is. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—';
  if (DATE_ONLY.test(value)) return value;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A date-only value (`YYYY-MM-DD`) as it is; a timestamp as its local date. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  if (DATE_ONLY.test(value)) return value;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function parseInstant(value: string): number {
  // A plain date means the start of that day in the user's zone.
  if (DATE_ONLY.test(value)) {
    const [y, m, d] = value.split('-').map(Number) as [number, number, number];
    return new Date(y, m - 1, d).getTime();
  }
  return new Date(value).getTime();
}

/** "3 h ago", "in 2 d", "just now": for tooltips beside absolute dates. */
export function relativeTime(value: string | null | undefined, now: Date = new Date()): string {
  if (!value) return '';
  const t = parseInstant(value);
  if (Number.isNaN(t)) return '';
  const diff = t - now.getTime();
  const abs = Math.abs(diff);
  const minute = 60_000;
  const hour = 60 * minute;
  const day = 24 * hour;
  let text: string;
  if (abs < minute) return 'just now';
  if (abs < hour) text = `${Math.round(abs / minute)} min`;
  else if (abs < day) text = `${Math.round(abs / hour)} h`;
  else if (abs < 60 * day) text = `${Math.round(abs / day)} d`;
  else if (abs < 730 * day) text = `${Math.round(abs / (30 * day))} mo`;
  else text = `${Math.round(abs / (365 * day))} y`;
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

/** Whole days from now until a date (negative when past). */
export function daysUntil(value: string | null | undefined, now: Date = new Date()): number | null {
  if (!value) return null;
  const t = parseInstant(value);
  if (Number.isNaN(t)) return null;
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  return Math.round((t - today) / 86_400_000);
}

/** A duration in seconds as "45 s", "12 min", "3 h", "2 d". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const s = seconds;
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * A decimal string as money: grouped thousands, at least two decimals, the currency code after
 * (`12,500.00 USD`). Works on the digits as text, so no precision is ever lost to a float.
 * Input that is not a decimal is shown as it came.
 */
export function formatMoney(amount: string | null | undefined, currency?: string | null): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  const m = DECIMAL.exec(amount.trim());
  if (!m) return currency ? `${amount} ${currency}` : amount;
  const [, sign, intRaw = '0', fracRaw = ''] = m;
  const int = intRaw.replace(/^0+(?=\d)/, '');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = fracRaw.length >= 2 ? fracRaw : fracRaw.padEnd(2, '0');
  const isZero = /^0*$/.test(int) && /^0*$/.test(frac);
  const text = `${sign && !isZero ? '-' : ''}${grouped}.${frac}`;
  return currency ? `${text} ${currency}` : text;
}

/** A count with thousands grouping. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n.toLocaleString('en-US');
}

/** A file size: `812 B`, `84 KB`, `1.2 MB` (1 KB = 1,024 bytes, as file managers show it). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || bytes < 0) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const kb = bytes / 1024;
  if (kb < 1024) return `${kb < 10 ? kb.toFixed(1).replace(/\.0$/, '') : Math.round(kb)} KB`;
  const mb = kb / 1024;
  return `${mb < 10 ? mb.toFixed(1).replace(/\.0$/, '') : Math.round(mb)} MB`;
}

/** A number as plain text percent, e.g. "25.5 %", from a decimal string. */
export function formatPercent(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  return `${value} %`;
}

/** A full name from parts, skipping blanks. */
export function fullName(...parts: Array<string | null | undefined>): string {
  return parts.filter((p) => p && p.trim()).join(' ');
}

/** Today's local date as `YYYY-MM-DD`. */
export function todayLocal(now: Date = new Date()): string {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** A date `days` from today (local) as `YYYY-MM-DD`. */
export function dateFromToday(days: number, now: Date = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days);
  return todayLocal(d);
}
