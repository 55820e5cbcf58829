// The queue-age bar chart (recharts), loaded lazily so the first screen does not wait for it.
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

import type { QueueAgeView } from '../bindings/QueueAgeView';
import { humanize } from '../backend/vocab';
import { BUCKETS } from './buckets';


export default function QueueAgeChart({ rows }: { rows: QueueAgeView[] }) {
  const data = rows.map((r) => ({ ...r, name: r.case_type === 'edd' ? 'EDD' : humanize(r.case_type) }));
  return (
    <div style={{ width: '100%', height: 220 }} data-testid="queue-age-chart">
      <ResponsiveContainer>
        <BarChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#ececf1" />
          <XAxis dataKey="name" tick={{ fontSize: 11 }} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11 }} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 11 }} itemSorter={null} />
          {BUCKETS.map((b) => (
            <Bar key={b.key} dataKey={b.key} name={b.label} stackId="age" fill={b.color} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
