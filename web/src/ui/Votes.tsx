/**
 * The "Votes" side panel: moderators open a formal vote (subject, yes / no / abstain or own
 * options, roll-call or pseudonymous, time limit, guests), eligible voters cast their one
 * ballot after a confirmation, everyone follows the participation and reads the result;
 * the protocol and the voter's own receipt download from the REST API.
 */

import { useState } from 'preact/hooks';
import { getLang, t } from '../i18n';
import type { MeetingController } from '../meeting';
import type { VoteMode, VoteOpen } from '../protocol';
import type { RoomView } from '../roomState';
import { canCastBallot, optionLabel, voteIsOpen, type VoteView } from '../votes';
import { Dialog } from './Dialog';
import { saveBlob } from './saveText';
import './polls.css';

interface Props {
  controller: MeetingController;
  room: RoomView;
  moderator: boolean;
}

export function VotePanel({ controller, room, moderator }: Props) {
  const vote = room.vote;
  return (
    <section class="panel-section polls votes" aria-labelledby="votes-heading">
      <div class="panel-head">
        <h2 id="votes-heading">{t('vote.title')}</h2>
      </div>
      {vote ? <VoteCard key={vote.voteId} vote={vote} controller={controller} moderator={moderator} /> : <p class="muted small">{t('vote.none')}</p>}
      {moderator && !voteIsOpen(vote) && <OpenVote controller={controller} />}
    </section>
  );
}

function ModeExplanation({ mode }: { mode: VoteMode }) {
  return <p class="small vote-mode-explained">{t(mode === 'pseudonymous' ? 'vote.pseudonymousExplained' : 'vote.rollCallExplained')}</p>;
}

function VoteCard({ vote, controller, moderator }: { vote: VoteView; controller: MeetingController; moderator: boolean }) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const subject = vote.closed?.subject ?? vote.opened?.subject ?? '';
  const mode = vote.closed?.mode ?? vote.opened?.mode ?? 'roll_call';
  const open = voteIsOpen(vote);
  const cast = (option: string) => {
    setConfirming(null);
    void controller.pollRequest('vote.ballot', { vote_id: vote.voteId, option });
  };
  const saveDocument = async (path: string, name: string) => {
    const file = await controller.voteDocument(path);
    if (file !== null) saveBlob(file, name);
  };

  return (
    <article class="vote poll" data-vote-id={vote.voteId} data-open={String(open)} data-closed={String(vote.closed !== null)}>
      <h3 class="poll-question">{subject}</h3>
      <p class="muted small">{t(mode === 'pseudonymous' ? 'vote.pseudonymous' : 'vote.rollCall')}</p>
      <ModeExplanation mode={mode} />
      {vote.participation && (
        <p class="small vote-participation" data-cast={vote.participation.cast} data-eligible={vote.participation.eligible}>
          {t('vote.participation', { cast: vote.participation.cast, eligible: vote.participation.eligible })}
          {vote.participation.voted && vote.participation.voted.length > 0 && ` (${vote.participation.voted.join(', ')})`}
        </p>
      )}
      {open && vote.opened && !vote.opened.can_vote && <p class="muted small vote-not-eligible">{t('vote.notEligible')}</p>}
      {canCastBallot(vote) && vote.opened && (
        <div class="vote-ballot" role="group" aria-label={t('vote.castBallot')}>
          {vote.opened.options.map((o) => (
            <button key={o.id} type="button" class="btn btn-small" onClick={() => setConfirming(o.id)}>
              {o.label}
            </button>
          ))}
        </div>
      )}
      <Dialog
        id="vote-confirm"
        open={confirming !== null}
        title={t('vote.confirmTitle')}
        closeLabel={t('vote.confirmCancel')}
        onClose={() => setConfirming(null)}
      >
        <p>{t('vote.confirmText', { option: confirming ? optionLabel(vote, confirming) : '' })}</p>
        <button type="button" class="btn btn-primary" onClick={() => confirming && cast(confirming)}>
          {t('vote.confirmCast')}
        </button>
      </Dialog>
      {vote.ballot && (
        <p class="small vote-mine" data-seq={vote.ballot.seq}>
          {t('vote.yourBallot', { option: optionLabel(vote, vote.ballot.option) })}
        </p>
      )}
      {vote.token && <p class="small vote-token">{t('vote.yourToken', { token: vote.token })}</p>}
      {vote.cancelled !== null && <p class="small vote-cancelled">{t('vote.cancelled', { reason: vote.cancelled })}</p>}

      {vote.closed && (
        <>
          <ol class="poll-results" aria-label={t('vote.result')}>
            {vote.closed.tally.map((r) => (
              <li key={r.option} class="vote-tally" data-option={r.option} data-count={r.count}>
                {optionLabel(vote, r.option)}: {r.count}
              </li>
            ))}
          </ol>
          <table class="poll-answers">
            <caption>{t('vote.ballots')}</caption>
            <tbody>
              {vote.closed.ballots.map((b, i) => {
                const mine = b.token !== undefined && b.token === vote.token;
                return (
                  <tr key={i} class={`vote-line ${mine ? 'vote-line-mine' : ''}`} data-who={b.name ?? b.token ?? ''} data-option={b.option}>
                    <td>
                      {b.name ?? b.token}
                      {mine && ` (${t('vote.yourTokenShort')})`}
                    </td>
                    <td>{optionLabel(vote, b.option)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p class="muted small vote-checkpoint">{t('vote.checkpoint', { size: vote.closed.checkpoint.size, root: vote.closed.checkpoint.root })}</p>
          <div class="poll-actions">
            <button type="button" class="btn btn-small" onClick={() => void saveDocument(`/votes/${vote.voteId}/protocol`, `vote-${vote.voteId}.json`)}>
              {t('vote.downloadProtocol')}
            </button>
            <button type="button" class="btn btn-small" onClick={() => void saveDocument(`/votes/${vote.voteId}/protocol.pdf?lang=${getLang()}`, `vote-${vote.voteId}-${getLang()}.pdf`)}>
              {t('vote.downloadProtocolPdf')}
            </button>
            {vote.ballot && (
              <button
                type="button"
                class="btn btn-small"
                onClick={() => void saveDocument(`/votes/${vote.voteId}/receipt?seq=${vote.ballot?.seq ?? 0}`, `vote-${vote.voteId}-receipt.json`)}
              >
                {t('vote.downloadReceipt')}
              </button>
            )}
          </div>
        </>
      )}

      {moderator && open && (
        <div class="poll-actions">
          <button type="button" class="btn btn-small" onClick={() => void controller.pollRequest('vote.close', { vote_id: vote.voteId })}>
            {t('vote.close')}
          </button>
          <label class="field">
            <span>{t('vote.cancelReason')}</span>
            <input value={reason} maxLength={500} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <button
            type="button"
            class="btn btn-small"
            disabled={reason.trim() === ''}
            onClick={() => void controller.pollRequest('vote.cancel', { vote_id: vote.voteId, reason: reason.trim() })}
          >
            {t('vote.cancel')}
          </button>
        </div>
      )}
    </article>
  );
}

function OpenVote({ controller }: { controller: MeetingController }) {
  const [subject, setSubject] = useState('');
  const [custom, setCustom] = useState('');
  const [abstain, setAbstain] = useState(true);
  const [mode, setMode] = useState<VoteMode>('roll_call');
  const [minutes, setMinutes] = useState('');
  const [guests, setGuests] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const options = custom
      .split('\n')
      .map((o) => o.trim())
      .filter((o) => o.length > 0);
    const request: VoteOpen = { subject: subject.trim(), mode, allow_abstain: abstain, include_guests: guests };
    if (options.length > 0) request.options = options;
    const seconds = Math.round(Number(minutes) * 60);
    if (minutes.trim() !== '' && Number.isFinite(seconds)) request.duration_s = seconds;
    if (await controller.pollRequest('vote.open', request)) setSubject('');
  };
  return (
    <form class="poll-create" onSubmit={submit} aria-labelledby="vote-open-heading">
      <h3 id="vote-open-heading">{t('vote.open')}</h3>
      <label class="field">
        <span>{t('vote.subject')}</span>
        <input value={subject} maxLength={500} onInput={(e) => setSubject(e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>{t('vote.customOptions')}</span>
        <textarea rows={3} value={custom} onInput={(e) => setCustom(e.currentTarget.value)} />
      </label>
      <label class="poll-check">
        <input type="checkbox" checked={abstain} onChange={(e) => setAbstain(e.currentTarget.checked)} />
        <span>{t('vote.allowAbstain')}</span>
      </label>
      <div class="field">
        <label for="vote-mode">{t('vote.mode')}</label>
        <select id="vote-mode" value={mode} onChange={(e) => setMode(e.currentTarget.value === 'pseudonymous' ? 'pseudonymous' : 'roll_call')}>
          <option value="roll_call">{t('vote.rollCall')}</option>
          <option value="pseudonymous">{t('vote.pseudonymous')}</option>
        </select>
      </div>
      <ModeExplanation mode={mode} />
      <label class="field">
        <span>{t('poll.minutes')}</span>
        <input type="number" step="any" value={minutes} onInput={(e) => setMinutes(e.currentTarget.value)} />
      </label>
      <label class="poll-check">
        <input type="checkbox" checked={guests} onChange={(e) => setGuests(e.currentTarget.checked)} />
        <span>{t('vote.includeGuests')}</span>
      </label>
      <button type="submit" class="btn btn-primary" disabled={subject.trim() === ''}>
        {t('vote.start')}
      </button>
    </form>
  );
}
