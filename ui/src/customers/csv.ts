// CSV export of the current view: pages through the queue with `next` and builds the file here.
import type { Backend } from '../backend/Backend';
import type { QueueItem } from '../bindings/QueueItem';
import type { QueueQuery } from '../bindings/QueueQuery';

export const CSV_COLUMNS: Array<keyof QueueItem> = [
  'id',
  'ref_id',
  'type',
  'name',
  'state',
  'verification_level',
  'risk_rating',
  'identity_status',
  'edd_status',
  'kyc_refresh_due_on',
  'created_at',
  'updated_at',
];

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  // Spreadsheet formula injection: a leading = + - @ is neutralised.
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(items: QueueItem[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const item of items) lines.push(CSV_COLUMNS.map((c) => csvCell(item[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export const EXPORT_PAGE = 500;

/** Every item matching `query`, page after page (never page numbers). */
export async function fetchAll(
  backend: Backend,
  query: QueueQuery,
  onProgress?: (count: number) => void,
  isCancelled: () => boolean = () => false,
): Promise<QueueItem[]> {
  const all: QueueItem[] = [];
  let after: string | null = null;
  do {
    const page = await backend.listQueue({ ...query, limit: EXPORT_PAGE, after });
    all.push(...page.items);
    onProgress?.(all.length);
    after = page.next;
  } while (after && !isCancelled());
  return all;
}

export function downloadText(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const blob = new Blob([text], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
