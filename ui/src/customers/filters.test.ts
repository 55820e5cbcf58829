import { describe, expect, it } from 'vitest';

import {
  EMPTY_FILTERS,
  activeFilterCount,
  PRESET_VIEWS,
  fromQueueQuery,
  fromSearchParams,
  loadSavedViews,
  saveView,
  toQueueQuery,
  toSearchParams,
} from './filters';

describe('customer filters → QueueQuery', () => {
  it('maps blank controls to null and keeps the defaults', () => {
    expect(toQueueQuery(EMPTY_FILTERS)).toEqual({
      state: null,
      verification_state: null,
      verification_method: null,
      edd: null,
      risk: null,
      identity_status: null,
      refresh_due_before: null,
      assignee: null,
      sla_breached: false,
      sort: 'newest',
      limit: 50,
      after: null,
    });
  });

  it('maps every control to its QueueQuery field', () => {
    const q = toQueueQuery(
      {
        search: '  anna  schm ',
        state: 'verified',
        verification_state: 'reviewing',
        verification_method: 'enhanced_due_diligence',
        edd: 'in_progress',
        risk: 'HIGH',
        identity_status: 'PENDING',
        refresh_due_before: '2027-01-01',
        assignee: '  officer.kim ',
        sla_breached: true,
        sort: 'refresh_due',
      },
      100,
      'CURSOR',
    );
    expect(q).toEqual({
      search: 'anna  schm',
      state: 'verified',
      verification_state: 'reviewing',
      verification_method: 'enhanced_due_diligence',
      edd: 'in_progress',
      risk: 'HIGH',
      identity_status: 'PENDING',
      refresh_due_before: '2027-01-01',
      assignee: 'officer.kim',
      sla_breached: true,
      sort: 'refresh_due',
      limit: 100,
      after: 'CURSOR',
    });
  });

  it('round-trips through the URL and back from a QueueQuery', () => {
    const f = { ...EMPTY_FILTERS, edd: 'passed', sla_breached: true, sort: 'oldest' };
    const qs = toSearchParams(f);
    expect(qs).toBe('edd=passed&sla_breached=true&sort=oldest');
    expect(fromSearchParams(new URLSearchParams(qs))).toEqual(f);
    expect(fromQueueQuery(toQueueQuery(f))).toEqual(f);
    expect(toSearchParams(EMPTY_FILTERS)).toBe('');
  });

  it('keeps the search in the URL, the saved view and the query, and leaves it out when blank', () => {
    const f = { ...EMPTY_FILTERS, search: 'zoë okafor', edd: 'passed' };
    const qs = toSearchParams(f);
    expect(new URLSearchParams(qs).get('search')).toBe('zoë okafor');
    expect(fromSearchParams(new URLSearchParams(qs))).toEqual(f);
    expect(activeFilterCount(f)).toBe(2);
    expect(toQueueQuery(f).search).toBe('zoë okafor');
    expect('search' in toQueueQuery({ ...f, search: '   ' })).toBe(false);
    saveView('Okafor EDD', f);
    const [view] = loadSavedViews();
    expect(view!.query.search).toBe('zoë okafor');
    expect(fromQueueQuery(view!.query)).toEqual(f);
  });

  it('has an "EDD passed" view', () => {
    const v = PRESET_VIEWS.find((p) => p.slug === 'edd-passed');
    expect(v && toQueueQuery(v.filters).edd).toBe('passed');
  });

  it('saves views as name + QueueQuery in localStorage, without cursor or page size', () => {
    saveView('My EDD', { ...EMPTY_FILTERS, edd: 'passed', risk: 'HIGH' });
    saveView('My EDD', { ...EMPTY_FILTERS, edd: 'failed' });
    const views = loadSavedViews();
    expect(views).toHaveLength(1);
    expect(views[0]!.name).toBe('My EDD');
    expect(views[0]!.query.edd).toBe('failed');
    expect(views[0]!.query.limit).toBeNull();
    expect(views[0]!.query.after).toBeNull();
    window.localStorage.setItem('dossier.savedViews.v1', 'not json');
    expect(loadSavedViews()).toEqual([]);
  });
});
