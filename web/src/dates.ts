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
