import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import QueueAgeChart, { scaleTop } from './QueueAgeChart';

describe('scaleTop', () => {
  it('makes four whole, round steps that reach the largest column', () => {
    const cases: Array<[number, number]> = [
      [0, 4],
      [1, 4],
      [4, 4],
      [5, 8],
      [9, 20],
      [37, 40],
      [41, 80],
      [81, 100],
      [199, 200],
      [201, 400],
      [1234, 2000],
      [999_999, 1_000_000],
    ];
    for (const [max, top] of cases) {
      expect([max, scaleTop(max)]).toEqual([max, top]);
      expect(scaleTop(max) % 4).toBe(0);
    }
  });
});

describe('QueueAgeChart', () => {
  it('stacks each case type by age, in proportion to the scale, and leaves out empty buckets', () => {
    render(
      <QueueAgeChart
        rows={[
          { case_type: 'edd', lt_1d: 10, d1_3: 0, d3_7: 5, gt_7d: 5 },
          { case_type: 'identity_verification', lt_1d: 2, d1_3: 2, d3_7: 0, gt_7d: 0 },
        ]}
      />,
    );
    const edd = screen.getByTestId('queue-age-edd');
    const parts = [...edd.querySelectorAll<HTMLElement>('.age-chart-part')];
    // 20 open EDD cases on a scale of 20: the buckets fill half, a quarter and a quarter.
    expect(parts.map((p) => [p.title, p.style.height])).toEqual([
      ['EDD, < 1 day: 10', '50%'],
      ['EDD, 3–7 days: 5', '25%'],
      ['EDD, > 7 days: 5', '25%'],
    ]);
    expect(screen.getByTestId('queue-age-identity_verification').querySelectorAll('.age-chart-part')).toHaveLength(2);
    expect(screen.getByTestId('queue-age-chart').textContent).toContain('Identity verification');
  });
});
