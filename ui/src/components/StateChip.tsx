// One colour per meaning, everywhere (UI.md); every chip carries text, never colour alone.
import { humanize } from '../backend/vocab';

export type Tone = 'neutral' | 'blue' | 'green' | 'amber' | 'red' | 'purple';

export type ChipKind =
  | 'customer'
  | 'verification'
  | 'identity'
  | 'risk'
  | 'edd'
  | 'outbox'
  | 'outcome'
  | 'level'
  | 'plain';

const TONES: Record<ChipKind, Record<string, Tone>> = {
  customer: {
    pending: 'neutral',
    verified: 'green',
    active: 'green',
    rejected: 'red',
    withdrawn: 'neutral',
    closed: 'neutral',
  },
  verification: {
    storing: 'neutral',
    waiting: 'neutral',
    pending: 'blue',
    reviewing: 'blue',
    completed: 'green',
    expired: 'amber',
  },
  identity: { PENDING: 'blue', APPROVED: 'green', ERROR: 'amber', DENIED: 'red', DISABLED: 'neutral' },
  risk: { LOW: 'neutral', MEDIUM: 'amber', HIGH: 'red', PROHIBITED: 'red' },
  edd: { none: 'neutral', in_progress: 'purple', passed: 'green', failed: 'red' },
  outbox: { pending: 'neutral', in_flight: 'blue', done: 'green', needs_attention: 'amber', discarded: 'neutral' },
  outcome: { passed: 'green', failed: 'red', APPROVED: 'green', DENIED: 'red' },
  level: { partial: 'blue', full: 'green', edd: 'purple' },
  plain: {},
};

const LABELS: Partial<Record<ChipKind, Record<string, string>>> = {
  edd: { none: 'No EDD', in_progress: 'EDD in progress', passed: 'EDD passed', failed: 'EDD failed' },
  risk: { LOW: 'Low risk', MEDIUM: 'Medium risk', HIGH: 'High risk', PROHIBITED: 'Prohibited' },
  outbox: { needs_attention: 'Needs attention', in_flight: 'In flight' },
};

export function toneFor(kind: ChipKind, value: string): Tone {
  return TONES[kind][value] ?? 'neutral';
}

export function chipLabel(kind: ChipKind, value: string): string {
  return LABELS[kind]?.[value] ?? (value === value.toUpperCase() ? value : humanize(value));
}

export interface StateChipProps {
  value: string | null | undefined;
  kind?: ChipKind;
  /** Overrides the tone (e.g. amber for "SLA near breach"). */
  tone?: Tone;
  label?: string;
  title?: string;
  testId?: string;
}

export function StateChip({ value, kind = 'plain', tone, label, title, testId }: StateChipProps) {
  if (!value) return <span className="chip chip-neutral" data-testid={testId}>—</span>;
  const t = tone ?? toneFor(kind, value);
  return (
    <span className={`chip chip-${t}`} title={title} data-testid={testId} data-value={value}>
      {label ?? chipLabel(kind, value)}
    </span>
  );
}
