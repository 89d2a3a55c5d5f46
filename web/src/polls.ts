/**
 * Quick polls on the client: merging `poll.state` views, the create form's checks (the
 * server's limits, for a clear message at the form), result shares for the bar chart, and
 * the CSV / JSON export of a poll's results.
 */

import {
  MAX_POLL_DURATION_SECS,
  MAX_POLL_OPTION_CHARS,
  MAX_POLL_OPTIONS,
  MAX_POLL_QUESTION_CHARS,
  MIN_POLL_DURATION_SECS,
  MIN_POLL_OPTIONS,
  type NewPoll,
  type Poll,
  type PollResults,
} from './protocol';

/**
 * The next poll state. Once an anonymous poll closes the server forgets who chose what and
 * sends `my_choices: null`; this client keeps the choices it already knew for that poll.
 */
export function mergePoll(previous: Poll | null, next: Poll): Poll {
  if (next.my_choices === null && previous?.id === next.id && previous.my_choices !== null) {
    return { ...next, my_choices: previous.my_choices };
  }
  return next;
}

/** What the create form holds. `minutes` is empty for a poll without a time limit. */
export interface PollForm {
  question: string;
  options: string[];
  multiple: boolean;
  anonymous: boolean;
  results: PollResults;
  minutes: string;
}

export type PollFormProblem = 'question' | 'optionCount' | 'optionLength' | 'optionTwice' | 'duration';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function fits(text: string, max: number): boolean {
  return text.length >= 1 && [...text].length <= max && !CONTROL.test(text);
}

/** The `poll.create` payload of a form, or the first problem with it. Empty option rows are left out. */
export function buildNewPoll(form: PollForm): { poll: NewPoll } | { problem: PollFormProblem } {
  const question = form.question.trim();
  if (!fits(question, MAX_POLL_QUESTION_CHARS)) return { problem: 'question' };
  const options = form.options.map((o) => o.trim()).filter((o) => o.length > 0);
  if (options.length < MIN_POLL_OPTIONS || options.length > MAX_POLL_OPTIONS) return { problem: 'optionCount' };
  if (!options.every((o) => fits(o, MAX_POLL_OPTION_CHARS))) return { problem: 'optionLength' };
  if (new Set(options).size !== options.length) return { problem: 'optionTwice' };
  const poll: NewPoll = { question, options, multiple: form.multiple, anonymous: form.anonymous, results: form.results };
  if (form.minutes.trim() !== '') {
    const seconds = Math.round(Number(form.minutes) * 60);
    if (!Number.isFinite(seconds) || seconds < MIN_POLL_DURATION_SECS || seconds > MAX_POLL_DURATION_SECS) {
      return { problem: 'duration' };
    }
    poll.duration_secs = seconds;
  }
  return { poll };
}

export interface OptionResult {
  option: string;
  count: number;
  /** Share of the people who answered, 0–100, rounded. */
  percent: number;
}

/** Counts per option with their share of answers; `null` while the counts are hidden. */
export function pollResults(poll: Poll): OptionResult[] | null {
  const counts = poll.counts;
  if (counts === null) return null;
  return poll.options.map((option, i) => {
    const count = counts[i] ?? 0;
    const percent = poll.answer_count > 0 ? Math.round((count * 100) / poll.answer_count) : 0;
    return { option, count, percent };
  });
}

/** Option texts of choice indexes (an unknown index shows as its number). */
function choiceTexts(poll: Poll, choices: number[]): string[] {
  return choices.map((c) => poll.options[c] ?? String(c));
}

/** Headings of the export, in the user's language. */
export interface ExportLabels {
  option: string;
  count: string;
  name: string;
  choices: string;
}

/**
 * One CSV cell: quoted, quotes doubled, and text a spreadsheet would run as a formula
 * (starting with = + - @ or a tab) prefixed with an apostrophe.
 */
function cell(text: string | number): string {
  let value = String(text);
  if (typeof text === 'string' && /^[=+\-@\t\r]/.test(value)) value = `'${value}`;
  return `"${value.replaceAll('"', '""')}"`;
}

/** The results as CSV (RFC 4180, CRLF): option and count, then who chose what if known. */
export function pollCsv(poll: Poll, labels: ExportLabels): string {
  const rows: (string | number)[][] = [[labels.option, labels.count]];
  for (const r of pollResults(poll) ?? []) rows.push([r.option, r.count]);
  if (poll.answers) {
    rows.push([]);
    rows.push([labels.name, labels.choices]);
    for (const a of poll.answers) rows.push([a.display_name, choiceTexts(poll, a.choices).join('; ')]);
  }
  return rows.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** The results as JSON, with option texts instead of indexes. */
export function pollJson(poll: Poll, exportedAt: Date): string {
  const results = pollResults(poll);
  return JSON.stringify(
    {
      poll_id: poll.id,
      question: poll.question,
      multiple: poll.multiple,
      anonymous: poll.anonymous,
      open: poll.open,
      answer_count: poll.answer_count,
      results: results?.map(({ option, count }) => ({ option, count })) ?? null,
      answers: poll.answers?.map((a) => ({ name: a.display_name, choices: choiceTexts(poll, a.choices) })) ?? null,
      exported_at: exportedAt.toISOString(),
    },
    null,
    2,
  );
}
