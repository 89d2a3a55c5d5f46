/** Home: the signed-in user's meetings, a form to create one, and invite links. */

import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type AuthSession } from '../api';
import { formatDateTime, fromLocalInput } from '../dates';
import { getLang, t } from '../i18n';
import { splitMeetings } from '../meetingForm';
import { MAX_PASSWORD_CHARS, type Meeting } from '../protocol';
import { link } from './App';
import { EditMeeting, FormError, StartNowButton, StartsAtField, TitleAndDescription, WaitingRoomCheck } from './MeetingEditor';

export function Home({ auth }: { auth: AuthSession }) {
  const [meetings, setMeetings] = useState<Meeting[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [invites, setInvites] = useState<Record<string, string>>({});
  const [copied, setCopied] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);

  const load = async () => {
    try {
      setMeetings(await api.meetings(await auth.accessToken()));
    } catch (e) {
      setError(errorText(e));
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const copyInvite = async (meeting: Meeting) => {
    try {
      let url = invites[meeting.id] ?? meeting.invite_url ?? null;
      if (!url) {
        const token = await auth.accessToken();
        const existing = await api.invites(token, meeting.id);
        url = existing[0]?.url ?? (await api.createInvite(token, meeting.id, {})).url;
      }
      setInvites({ ...invites, [meeting.id]: url });
      try {
        await navigator.clipboard.writeText(url);
        setCopied(meeting.id);
      } catch {
        // Clipboard access can be refused; the link is shown for manual copying.
      }
    } catch (e) {
      setError(errorText(e));
    }
  };

  const remove = async (meeting: Meeting) => {
    try {
      await api.deleteMeeting(await auth.accessToken(), meeting.id);
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };

  const renderItem = (m: Meeting) => (
    <li key={m.id} class="meeting-item">
      <div class="meeting-item-main">
        <a class="meeting-title" href={`/m/${m.id}`} onClick={link(`/m/${m.id}`)}>
          {m.title}
        </a>
        <span class="muted meeting-created">
          {t('home.created', { date: formatDateTime(m.created_at, getLang()) })}
        </span>
        {m.starts_at && (
          <span class="muted meeting-starts">{t('home.starts', { date: formatDateTime(m.starts_at, getLang()) })}</span>
        )}
        <span class="badges">
          {m.has_password && <span class="badge">{t('home.hasPassword')}</span>}
          {m.waiting_room && <span class="badge">{t('home.hasWaitingRoom')}</span>}
        </span>
      </div>
      <div class="meeting-item-actions">
        <a class="btn btn-primary" href={`/m/${m.id}`} onClick={link(`/m/${m.id}`)}>
          {t('home.open')}
        </a>
        <button type="button" class="btn" onClick={() => void copyInvite(m)}>
          {copied === m.id ? t('home.copied') : t('home.copyInvite')}
        </button>
        <button
          type="button"
          class="btn"
          aria-expanded={editing === m.id}
          aria-label={t('home.editTitle', { title: m.title })}
          onClick={() => setEditing(editing === m.id ? null : m.id)}
        >
          {t('home.edit')}
        </button>
        <button type="button" class="btn btn-ghost" onClick={() => void remove(m)}>
          {t('home.delete')}
        </button>
      </div>
      {m.description && <p class="meeting-description">{m.description}</p>}
      {editing === m.id && (
        <EditMeeting
          auth={auth}
          meeting={m}
          onDone={(saved) => {
            setEditing(null);
            if (saved) void load();
          }}
        />
      )}
      {invites[m.id] && (
        <label class="field invite-field">
          <span>{t('home.inviteLink')}</span>
          <input readOnly value={invites[m.id]} onFocus={(e) => e.currentTarget.select()} />
        </label>
      )}
    </li>
  );

  return (
    <div class="home">
      <section class="card">
        <h1>{t('home.title')}</h1>
        {auth.user && <p class="muted">{t('home.signedInAs', { name: auth.user.display_name })}</p>}
        <StartNowButton auth={auth} />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {meetings && meetings.length === 0 && <p class="muted">{t('home.empty')}</p>}
        {meetings &&
          meetingSections(meetings).map(
            ({ key, heading, list }) =>
              list.length > 0 && (
                <section key={key} class={`meeting-section meeting-section-${key}`} aria-labelledby={`meetings-${key}`}>
                  <h2 id={`meetings-${key}`}>{heading}</h2>
                  <ul class="meeting-list">{list.map(renderItem)}</ul>
                </section>
              ),
          )}
      </section>
      <CreateMeeting auth={auth} onCreated={() => void load()} />
    </div>
  );
}

/** Upcoming first, then recent, split by the time of rendering. */
function meetingSections(meetings: Meeting[]): { key: string; heading: string; list: Meeting[] }[] {
  const { upcoming, recent } = splitMeetings(meetings, new Date());
  return [
    { key: 'upcoming', heading: t('home.upcoming'), list: upcoming },
    { key: 'recent', heading: t('home.recent'), list: recent },
  ];
}

function CreateMeeting({ auth, onCreated }: { auth: AuthSession; onCreated: () => void }) {
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [password, setPassword] = useState('');
  const [waitingRoom, setWaitingRoom] = useState(false);
  const [startsAt, setStartsAt] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.createMeeting(await auth.accessToken(), {
        title: title.trim(),
        description: description.trim(),
        password: password ? password : null,
        waiting_room: waitingRoom,
        starts_at: fromLocalInput(startsAt),
      });
      setTitle('');
      setDescription('');
      setPassword('');
      setWaitingRoom(false);
      setStartsAt('');
      onCreated();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form" onSubmit={submit}>
      <h2>{t('home.create')}</h2>
      <TitleAndDescription title={title} setTitle={setTitle} description={description} setDescription={setDescription} />
      <label class="field">
        <span>{t('home.meetingPassword')}</span>
        <input
          type="password"
          autoComplete="new-password"
          maxLength={MAX_PASSWORD_CHARS}
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <StartsAtField value={startsAt} onChange={setStartsAt} />
      <WaitingRoomCheck checked={waitingRoom} onChange={setWaitingRoom} />
      <FormError error={error} />
      <button type="submit" class="btn btn-primary" disabled={busy}>
        {t('home.create')}
      </button>
    </form>
  );
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'network') return t('error.network');
    if (e.status === 403) return t('error.forbidden');
    return t('error.generic', { code: e.code });
  }
  return t('error.generic', { code: e instanceof Error ? e.message : String(e) });
}
