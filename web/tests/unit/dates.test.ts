import { describe, expect, it } from 'vitest';
import { formatDateTime } from '../../src/dates';

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
