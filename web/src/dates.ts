/** Dates and times as the user's language writes them (German or British English). */

import type { Lang } from './i18n';

const LOCALES: Record<Lang, string> = { de: 'de-DE', en: 'en-GB' };

/** A date with time, e.g. "27. Nov. 2026, 07:12" / "27 Nov 2026, 07:12"; '' if invalid. */
export function formatDateTime(iso: string, lang: Lang, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(LOCALES[lang], {
    dateStyle: 'medium',
    timeStyle: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}

/** A time of day, e.g. "07:12"; '' if invalid. */
export function formatTime(iso: string, lang: Lang): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString(LOCALES[lang], { hour: '2-digit', minute: '2-digit' });
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An RFC 3339 time as a `datetime-local` input holds it, in local time ('' if absent or invalid). */
export function toLocalInput(iso: string | null | undefined): string {
  const date = new Date(iso ?? '');
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A `datetime-local` input's value (local time) as RFC 3339 UTC; null if empty or invalid. */
export function fromLocalInput(value: string): string | null {
  // Without an offset, a date-time string is read as local time.
  const date = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) return null;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
