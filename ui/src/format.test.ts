import { describe, expect, it } from 'vitest';

import { daysUntil, formatBytes, formatDate, formatDateTime, formatDuration, formatMoney, relativeTime } from './format';

describe('formatMoney', () => {
  it('groups thousands and keeps the currency code', () => {
    expect(formatMoney('10000', 'USD')).toBe('10,000.00 USD');
    expect(formatMoney('1000000.5', 'EUR')).toBe('1,000,000.50 EUR');
  });
  it('never loses precision to a float', () => {
    expect(formatMoney('12345678901234567890.123456789', 'USD')).toBe('12,345,678,901,234,567,890.123456789 USD');
    expect(formatMoney('0.1', null)).toBe('0.10');
  });
  it('keeps the sign, drops leading zeros and shows non-decimals as given', () => {
    expect(formatMoney('-250.5', 'USD')).toBe('-250.50 USD');
    expect(formatMoney('-0.00', 'USD')).toBe('0.00 USD');
    expect(formatMoney('007', 'USD')).toBe('7.00 USD');
    expect(formatMoney('n/a', 'USD')).toBe('n/a USD');
    expect(formatMoney(null)).toBe('—');
  });
});

describe('dates', () => {
  it('shows timestamps as YYYY-MM-DD HH:MM in local time', () => {
    const d = new Date(2026, 10, 22, 14, 3, 59);
    expect(formatDateTime(d.toISOString())).toBe('2026-11-22 14:03');
  });
  it('leaves plain dates alone (no zone shift)', () => {
    expect(formatDateTime('2031-02-28')).toBe('2031-02-28');
    expect(formatDate('2031-02-28')).toBe('2031-02-28');
    expect(formatDateTime(null)).toBe('—');
  });
  it('says relative time for tooltips', () => {
    const now = new Date(2026, 10, 22, 14, 0, 0);
    expect(relativeTime(new Date(2026, 10, 22, 11, 0, 0).toISOString(), now)).toBe('3 h ago');
    expect(relativeTime(new Date(2026, 10, 24, 14, 0, 0).toISOString(), now)).toBe('in 2 d');
    expect(relativeTime(new Date(2026, 10, 22, 13, 59, 40).toISOString(), now)).toBe('just now');
    expect(relativeTime(new Date(2026, 10, 22, 13, 15, 0).toISOString(), now)).toBe('45 min ago');
  });
  it('counts whole days to a date', () => {
    const now = new Date(2026, 10, 22, 18, 0, 0);
    expect(daysUntil('2026-11-25', now)).toBe(3);
    expect(daysUntil('2026-11-20', now)).toBe(-2);
  });
  it('formats file sizes', () => {
    expect(formatBytes(101)).toBe('101 B');
    expect(formatBytes(2048)).toBe('2 KB');
    expect(formatBytes(86_000)).toBe('84 KB');
    expect(formatBytes(1_258_291)).toBe('1.2 MB');
    expect(formatBytes(25 * 1024 * 1024)).toBe('25 MB');
  });
  it('formats durations', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(3600 * 3)).toBe('3 h');
    expect(formatDuration(86400 * 2)).toBe('2 d');
    expect(formatDuration(null)).toBe('—');
  });
});
