/**
 * Home additions: "start a meeting now" (create and enter in one step) and editing a
 * meeting's title, description, password, waiting room and scheduled start in place.
 */

import { useState } from 'preact/hooks';
import { api, type AuthSession } from '../api';
import { toLocalInput } from '../dates';
import { t } from '../i18n';
import { meetingChanges } from '../meetingForm';
import { MAX_DESCRIPTION_CHARS, MAX_PASSWORD_CHARS, MAX_TITLE_CHARS, type Meeting } from '../protocol';
import { navigate } from '../router';
import { errorText } from './Home';
import './features.css';

export function StartNowButton({ auth }: { auth: AuthSession }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const name = auth.user?.display_name ?? '';
      const meeting = await api.createMeeting(await auth.accessToken(), {
        title: t('home.instantTitle', { name }).slice(0, MAX_TITLE_CHARS),
        waiting_room: false,
      });
      navigate(`/m/${meeting.id}`);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  return (
    <div class="start-now">
      <button type="button" class="btn btn-primary" disabled={busy} onClick={() => void start()}>
        {t('home.startNow')}
      </button>
      <FormError error={error} />
    </div>
  );
}

/** A form's error, announced as it appears. */
export function FormError({ error }: { error: string | null }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function WaitingRoomCheck({ checked, onChange }: { checked: boolean; onChange: (on: boolean) => void }) {
  return (
    <label class="check">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} />
      <span>{t('home.waitingRoom')}</span>
    </label>
  );
}

/** The scheduled start, in local time as `datetime-local` holds it; empty means none. */
/** The title and description inputs of the create and edit forms. */
export function TitleAndDescription({
  title,
  setTitle,
  description,
  setDescription,
}: {
  title: string;
  setTitle: (title: string) => void;
  description: string;
  setDescription: (description: string) => void;
}) {
  return (
    <>
      <label class="field">
        <span>{t('home.meetingTitle')}</span>
        <input required autoComplete="off" maxLength={MAX_TITLE_CHARS} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>{t('home.meetingDescription')}</span>
        <textarea rows={3} maxLength={MAX_DESCRIPTION_CHARS} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
    </>
  );
}

export function StartsAtField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <label class="field">
      <span>{t('home.startsAt')}</span>
      <input type="datetime-local" value={value} onInput={(e) => onChange(e.currentTarget.value)} />
    </label>
  );
}

export function EditMeeting({
  auth,
  meeting,
  onDone,
}: {
  auth: AuthSession;
  meeting: Meeting;
  /** Called with the saved meeting, or null when cancelled. */
  onDone: (saved: Meeting | null) => void;
}) {
  const [title, setTitle] = useState(meeting.title);
  const [description, setDescription] = useState(meeting.description);
  const [password, setPassword] = useState('');
  const [removePassword, setRemovePassword] = useState(false);
  const [waitingRoom, setWaitingRoom] = useState(meeting.waiting_room);
  const [startsAt, setStartsAt] = useState(toLocalInput(meeting.starts_at));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = `edit-${meeting.id}`;

  const submit = async (e: Event) => {
    e.preventDefault();
    const changes = meetingChanges(meeting, { title, description, password, removePassword, waitingRoom, startsAt });
    if (Object.keys(changes).length === 0) {
      onDone(meeting);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onDone(await api.updateMeeting(await auth.accessToken(), meeting.id, changes));
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <form class="form meeting-edit" onSubmit={submit} aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>{t('home.editTitle', { title: meeting.title })}</h3>
      <TitleAndDescription title={title} setTitle={setTitle} description={description} setDescription={setDescription} />
      <label class="field">
        <span>{meeting.has_password ? t('home.newPassword') : t('home.meetingPassword')}</span>
        <input
          type="password"
          autoComplete="new-password"
          maxLength={MAX_PASSWORD_CHARS}
          value={password}
          disabled={removePassword}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      {meeting.has_password && (
        <label class="check">
          <input type="checkbox" checked={removePassword} onChange={(e) => setRemovePassword(e.currentTarget.checked)} />
          <span>{t('home.removePassword')}</span>
        </label>
      )}
      <StartsAtField value={startsAt} onChange={setStartsAt} />
      <WaitingRoomCheck checked={waitingRoom} onChange={setWaitingRoom} />
      <FormError error={error} />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {t('home.save')}
        </button>
        <button type="button" class="btn" onClick={() => onDone(null)}>
          {t('home.cancel')}
        </button>
      </div>
    </form>
  );
}
