import { describe, expect, it } from 'vitest';

import { MemoryBackend } from '../backend/memory';
import type { QueueItem } from '../bindings/QueueItem';
import { individualInput } from '../test/fixtures';
import { csvCell, fetchAll, toCsv } from './csv';
import { EMPTY_FILTERS, toQueueQuery } from './filters';

describe('CSV export', () => {
  it('quotes cells that need it and neutralises formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvCell(null)).toBe('');
  });

  it('writes a header and one line per item', () => {
    const item: QueueItem = {
      id: 'i',
      type: 'individual',
      ref_id: 'R-1',
      name: 'Silva, Ana',
      state: 'pending',
      verification_level: null,
      risk_rating: 'LOW',
      identity_status: 'PENDING',
      edd_status: 'none',
      kyc_refresh_due_on: null,
      created_at: 't1',
      updated_at: 't2',
    };
    const lines = toCsv([item]).trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,ref_id,type,name,state,verification_level,risk_rating,identity_status,edd_status,kyc_refresh_due_on,created_at,updated_at');
    expect(lines[1]).toBe('i,R-1,individual,"Silva, Ana",pending,,LOW,PENDING,none,,t1,t2');
  });

  it('pages through the whole view with next', async () => {
    const b = new MemoryBackend();
    for (let i = 0; i < 7; i += 1) await b.createCustomer(individualInput(`CSV-${i}`));
    const calls: Array<string | null> = [];
    const original = b.listQueue.bind(b);
    b.listQueue = async (q) => {
      calls.push(q.after);
      return original({ ...q, limit: 3 });
    };
    const progress: number[] = [];
    const all = await fetchAll(b, toQueueQuery(EMPTY_FILTERS), (n) => progress.push(n));
    expect(all.map((x) => x.ref_id).sort()).toEqual(['CSV-0', 'CSV-1', 'CSV-2', 'CSV-3', 'CSV-4', 'CSV-5', 'CSV-6']);
    expect(calls).toHaveLength(3);
    expect(calls[0]).toBeNull();
    expect(progress).toEqual([3, 6, 7]);
  });
});
