// The queue-age bar chart: one column per case type, its open cases stacked by age bucket (the
// youngest at the bottom), on a scale of whole cases. Plain elements and CSS, no chart library:
// one chart of at most a handful of columns does not need one, and a library cost the desktop's
// web process memory on the screen it shows first after unlocking (docs/performance.md). The
// dashboard puts the same figures in a table for screen readers, so this is hidden from them.
import type { QueueAgeView } from '../bindings/QueueAgeView';
import { humanize } from '../backend/vocab';
import { formatCount } from '../format';
import { BUCKETS } from './buckets';

/** Gridlines drawn above zero. */
const STEPS = 4;

/**
 * The top of the scale: `STEPS` equal whole-number steps, each 1, 2, 2.5 or 5 times a power of
 * ten (2.5 only where that is a whole number), the smallest that reaches `max`.
 */
export function scaleTop(max: number): number {
  const rough = Math.max(1, max) / STEPS;
  const power = 10 ** Math.floor(Math.log10(rough));
  const multiples = power >= 10 ? [1, 2, 2.5, 5, 10] : [1, 2, 5, 10];
  const step = multiples.map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  return Math.max(STEPS, Math.ceil(step) * STEPS);
}

export default function QueueAgeChart({ rows }: { rows: QueueAgeView[] }) {
  const columns = rows.map((r) => ({
    row: r,
    name: r.case_type === 'edd' ? 'EDD' : humanize(r.case_type),
    total: BUCKETS.reduce((sum, b) => sum + r[b.key], 0),
  }));
  const top = scaleTop(Math.max(0, ...columns.map((c) => c.total)));
  const ticks = Array.from({ length: STEPS + 1 }, (_, i) => (top / STEPS) * (STEPS - i));
  return (
    <div className="age-chart" data-testid="queue-age-chart" aria-hidden="true">
      <div className="age-chart-plot">
        <div className="age-chart-ticks">
          {ticks.map((t) => (
            <span key={t} className="num">
              {formatCount(t)}
            </span>
          ))}
        </div>
        <div className="age-chart-area">
          {ticks.map((t) => (
            <div key={t} className="age-chart-grid" style={{ bottom: `${(t / top) * 100}%` }} />
          ))}
          {columns.map((c) => (
            <div key={c.row.case_type} className="age-chart-column" data-testid={`queue-age-${c.row.case_type}`}>
              <div className="age-chart-stack" title={`${c.name}: ${formatCount(c.total)} open`}>
                {BUCKETS.map((b) =>
                  c.row[b.key] > 0 ? (
                    <div
                      key={b.key}
                      className="age-chart-part"
                      style={{ height: `${(c.row[b.key] / top) * 100}%`, background: b.color }}
                      title={`${c.name}, ${b.label}: ${formatCount(c.row[b.key])}`}
                    />
                  ) : null,
                )}
              </div>
            </div>
          ))}
        </div>
      </div>
      <div className="age-chart-labels">
        {columns.map((c) => (
          <span key={c.row.case_type}>{c.name}</span>
        ))}
      </div>
      <ul className="age-chart-legend">
        {BUCKETS.map((b) => (
          <li key={b.key}>
            <span className="age-chart-swatch" style={{ background: b.color }} />
            {b.label}
          </li>
        ))}
      </ul>
    </div>
  );
}
