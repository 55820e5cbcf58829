import type { QueueAgeView } from '../bindings/QueueAgeView';

export const BUCKETS: Array<{ key: keyof Omit<QueueAgeView, 'case_type'>; label: string; color: string }> = [
  { key: 'lt_1d', label: '< 1 day', color: '#a5b4fc' },
  { key: 'd1_3', label: '1–3 days', color: '#6366f1' },
  { key: 'd3_7', label: '3–7 days', color: '#f59e0b' },
  { key: 'gt_7d', label: '> 7 days', color: '#dc2626' },
];
