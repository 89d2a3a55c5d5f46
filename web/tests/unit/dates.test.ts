import { describe, expect, it } from 'vitest';
import { formatDateTime, fromLocalInput, toLocalInput } from '../../src/dates';

describe('formatDateTime', () => {
  it('writes dates the way each language does', () => {
    const iso = '2026-11-27T06:12:00Z';
    expect(formatDateTime(iso, 'de', 'Europe/Berlin')).toBe('27.11.2026, 07:12');
    expect(formatDateTime(iso, 'en', 'Europe/Berlin')).toBe('27 Nov 2026, 07:12');
  });

  it('follows the time zone', () => {
    expect(formatDateTime('2026-07-01T22:30:00Z', 'en', 'Europe/Berlin')).toBe('2 Jul 2026, 00:30');
    expect(formatDateTime('2026-07-01T22:30:00Z', 'en', 'UTC')).toBe('1 Jul 2026, 22:30');
  });

  it('is empty for something that is not a time', () => {
    expect(formatDateTime('yesterday', 'de')).toBe('');
    expect(formatDateTime('', 'en')).toBe('');
  });
});

describe('datetime-local values', () => {
  it('hold the local time of an instant and read back to the same instant in UTC', () => {
    const iso = '2030-05-04T07:30:00Z';
    const local = toLocalInput(iso);
    const date = new Date(iso);
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(Number(local.slice(11, 13))).toBe(date.getHours());
    expect(Number(local.slice(14, 16))).toBe(date.getMinutes());
    expect(fromLocalInput(local)).toBe(iso);
  });

  it('are empty or null for nothing or something that is not a time', () => {
    expect(toLocalInput(null)).toBe('');
    expect(toLocalInput('soon')).toBe('');
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('2030-13-45T99:99')).toBeNull();
    expect(fromLocalInput('2030-05-04T07:30Z')).toBeNull();
  });
});
