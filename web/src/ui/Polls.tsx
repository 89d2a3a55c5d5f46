/**
 * The "Polls" side panel: the current poll (answer, live bars, who chose what where it may
 * be seen), the moderator's create form and close / share buttons, and the results export.
 */

import { useEffect, useState } from 'preact/hooks';
import { formatTime } from '../dates';
import { getLang, t, type MessageKey } from '../i18n';
import type { MeetingController } from '../meeting';
import { buildNewPoll, pollCsv, pollJson, pollResults, type PollForm, type PollFormProblem } from '../polls';
import { MAX_POLL_OPTION_CHARS, MAX_POLL_OPTIONS, MAX_POLL_QUESTION_CHARS, MIN_POLL_OPTIONS, type Poll } from '../protocol';
import type { RoomView } from '../roomState';
import { saveText } from './saveText';
import './polls.css';

interface Props {
  controller: MeetingController;
  room: RoomView;
  moderator: boolean;
}

export function PollPanel({ controller, room, moderator }: Props) {
  const poll = room.poll;
  return (
    <section class="panel-section polls" aria-labelledby="polls-heading">
      <div class="panel-head">
        <h2 id="polls-heading">{t('poll.title')}</h2>
      </div>
      {poll ? (
        <PollCard key={poll.id} poll={poll} controller={controller} moderator={moderator} />
      ) : (
        <p class="muted small">{t('poll.none')}</p>
      )}
      {moderator && !poll?.open && <CreatePoll controller={controller} />}
    </section>
  );
}

function PollCard({ poll, controller, moderator }: { poll: Poll; controller: MeetingController; moderator: boolean }) {
  const known = poll.my_choices ?? [];
  const [chosen, setChosen] = useState<number[]>(known);
  // A new server view (e.g. the own answer from another tab) resets the selection.
  const knownKey = known.join(',');
  useEffect(() => setChosen(known), [knownKey]);
  const results = pollResults(poll);
  const answered = known.length > 0;

  const toggle = (index: number, on: boolean) => {
    if (!poll.multiple) setChosen([index]);
    else setChosen(on ? [...chosen.filter((c) => c !== index), index].sort((a, b) => a - b) : chosen.filter((c) => c !== index));
  };
  const submit = (e: Event) => {
    e.preventDefault();
    if (chosen.length > 0) void controller.pollRequest('poll.answer', { poll_id: poll.id, choices: chosen });
  };
  const status = poll.open ? t('poll.open') : t('poll.closed');

  return (
    <article
      class="poll"
      data-poll-id={poll.id}
      data-open={String(poll.open)}
      data-shared={String(poll.shared)}
      data-answer-count={poll.answer_count}
      data-my-choices={known.join(',')}
      aria-labelledby="poll-question"
    >
      <h3 id="poll-question" class="poll-question">
        {poll.question}
      </h3>
      <p class="muted small poll-meta">
        {status} · {t(poll.anonymous ? 'poll.anonymous' : 'poll.named')} ·{' '}
        {t(poll.multiple ? 'poll.multiple' : 'poll.single')} · {t('poll.answerCount', { count: poll.answer_count })}
        {poll.open && poll.closes_at && <> · {t('poll.closesAt', { time: formatTime(poll.closes_at, getLang()) })}</>}
      </p>

      {poll.open && (
        <form class="poll-answer" onSubmit={submit}>
          <fieldset>
            <legend class="visually-hidden">{poll.question}</legend>
            {poll.options.map((option, i) => (
              <label key={i} class="poll-choice">
                <input
                  type={poll.multiple ? 'checkbox' : 'radio'}
                  name={`poll-${poll.id}`}
                  checked={chosen.includes(i)}
                  onChange={(e) => toggle(i, e.currentTarget.checked)}
                />
                <span>{option}</span>
              </label>
            ))}
          </fieldset>
          <button type="submit" class="btn btn-primary btn-small" disabled={chosen.length === 0}>
            {t(answered ? 'poll.changeAnswer' : 'poll.submit')}
          </button>
        </form>
      )}
      {!poll.open && known.length > 0 && (
        <p class="small poll-mine">{t('poll.yourAnswer', { choices: known.map((c) => poll.options[c] ?? '').join(', ') })}</p>
      )}

      {results ? (
        <ol class="poll-results" aria-label={t('poll.results')}>
          {results.map((r, i) => (
            <li key={i} class="poll-result" data-option={i} data-count={r.count}>
              <div class="poll-result-label">
                <span>{r.option}</span>
                <span>
                  {r.count} ({r.percent} %)
                </span>
              </div>
              <div class="poll-bar" aria-hidden="true">
                <div class="poll-bar-fill" style={{ width: `${r.percent}%` }} />
              </div>
            </li>
          ))}
        </ol>
      ) : (
        <p class="muted small poll-hidden">{t(poll.open ? 'poll.hiddenUntilClose' : 'poll.hiddenUntilShared')}</p>
      )}

      {poll.answers && poll.answers.length > 0 && (
        <table class="poll-answers">
          <caption>{t('poll.whoChoseWhat')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('poll.export.name')}</th>
              <th scope="col">{t('poll.export.choices')}</th>
            </tr>
          </thead>
          <tbody>
            {poll.answers.map((a, i) => {
              const texts = a.choices.map((c) => poll.options[c] ?? '').join(', ');
              return (
                <tr key={i} class="poll-answer-row" data-name={a.display_name} data-choices={a.choices.join(',')}>
                  <td>{a.display_name}</td>
                  <td>{texts}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}

      <div class="poll-actions">
        {moderator && poll.open && (
          <button type="button" class="btn btn-small" onClick={() => void controller.pollRequest('poll.close', { poll_id: poll.id })}>
            {t('poll.close')}
          </button>
        )}
        {moderator && !poll.open && !poll.shared && (
          <button type="button" class="btn btn-small" onClick={() => void controller.pollRequest('poll.share', { poll_id: poll.id })}>
            {t('poll.share')}
          </button>
        )}
        {results && (
          <>
            <button type="button" class="btn btn-small" onClick={() => download(poll, 'csv')}>
              {t('poll.exportCsv')}
            </button>
            <button type="button" class="btn btn-small" onClick={() => download(poll, 'json')}>
              {t('poll.exportJson')}
            </button>
          </>
        )}
      </div>
    </article>
  );
}

const EMPTY_FORM: PollForm = {
  question: '',
  options: ['', ''],
  multiple: false,
  anonymous: false,
  results: 'live',
  minutes: '',
};

const PROBLEM_TEXT: Record<PollFormProblem, MessageKey> = {
  question: 'poll.problem.question',
  optionCount: 'poll.problem.optionCount',
  optionLength: 'poll.problem.optionLength',
  optionTwice: 'poll.problem.optionTwice',
  duration: 'poll.problem.duration',
};

function CreatePoll({ controller }: { controller: MeetingController }) {
  const [form, setForm] = useState<PollForm>(EMPTY_FORM);
  const [problem, setProblem] = useState<PollFormProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const change = (patch: Partial<PollForm>) => setForm({ ...form, ...patch });
  const setOption = (index: number, text: string) => change({ options: form.options.map((o, i) => (i === index ? text : o)) });

  const submit = async (e: Event) => {
    e.preventDefault();
    const built = buildNewPoll(form);
    if ('problem' in built) {
      setProblem(built.problem);
      return;
    }
    setProblem(null);
    setBusy(true);
    if (await controller.pollRequest('poll.create', built.poll)) setForm(EMPTY_FORM);
    setBusy(false);
  };

  return (
    <form class="poll-create" onSubmit={submit} aria-labelledby="poll-create-heading">
      <h3 id="poll-create-heading">{t('poll.create')}</h3>
      <label class="field">
        <span>{t('poll.question')}</span>
        <input value={form.question} maxLength={MAX_POLL_QUESTION_CHARS} onInput={(e) => change({ question: e.currentTarget.value })} />
      </label>
      {form.options.map((option, i) => (
        <label key={i} class="field">
          <span>{t('poll.option', { n: i + 1 })}</span>
          <input value={option} maxLength={MAX_POLL_OPTION_CHARS} onInput={(e) => setOption(i, e.currentTarget.value)} />
        </label>
      ))}
      <div class="poll-create-row">
        <button
          type="button"
          class="btn btn-small"
          disabled={form.options.length >= MAX_POLL_OPTIONS}
          onClick={() => change({ options: [...form.options, ''] })}
        >
          {t('poll.addOption')}
        </button>
        <button
          type="button"
          class="btn btn-small"
          disabled={form.options.length <= MIN_POLL_OPTIONS}
          onClick={() => change({ options: form.options.slice(0, -1) })}
        >
          {t('poll.removeOption')}
        </button>
      </div>
      <label class="poll-check">
        <input type="checkbox" checked={form.multiple} onChange={(e) => change({ multiple: e.currentTarget.checked })} />
        <span>{t('poll.allowMultiple')}</span>
      </label>
      <label class="poll-check">
        <input type="checkbox" checked={form.anonymous} onChange={(e) => change({ anonymous: e.currentTarget.checked })} />
        <span>{t('poll.makeAnonymous')}</span>
      </label>
      <div class="field">
        <label for="poll-results-mode">{t('poll.showResults')}</label>
        <select
          id="poll-results-mode"
          value={form.results}
          onChange={(e) => change({ results: e.currentTarget.value === 'at_close' ? 'at_close' : 'live' })}
        >
          <option value="live">{t('poll.resultsLive')}</option>
          <option value="at_close">{t('poll.resultsAtClose')}</option>
        </select>
      </div>
      <label class="field">
        <span>{t('poll.minutes')}</span>
        <input type="number" step="any" value={form.minutes} onInput={(e) => change({ minutes: e.currentTarget.value })} />
      </label>
      {problem && (
        <p class="error" role="alert">
          {t(PROBLEM_TEXT[problem])}
        </p>
      )}
      <button type="submit" class="btn btn-primary" disabled={busy}>
        {t('poll.start')}
      </button>
    </form>
  );
}

/** Saves the results as a CSV or JSON file. */
function download(poll: Poll, format: 'csv' | 'json') {
  const text =
    format === 'csv'
      ? pollCsv(poll, {
          option: t('poll.export.option'),
          count: t('poll.export.count'),
          name: t('poll.export.name'),
          choices: t('poll.export.choices'),
        })
      : pollJson(poll, new Date());
  saveText(text, `poll-${poll.id}.${format}`, format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json');
}
