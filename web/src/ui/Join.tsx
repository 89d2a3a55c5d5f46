/**
 * The invite page `/j/{code}`: the pre-join lobby with the meeting title, asking guests for
 * a display name (and the password when required), then enters the meeting. Signed-in users join with their
 * account through `join-token` with the invite code.
 */

import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, type AuthSession } from '../api';
import { t } from '../i18n';
import type { MediaChoice } from '../devices';
import type { MeetingTokenSource } from '../meeting';
import { MAX_DISPLAY_NAME_CHARS, validDisplayName, type InviteInfo, type MeetingTokenResponse } from '../protocol';
import { Lobby } from './Lobby';
import { MeetingPage } from './MeetingPage';

const GUEST_KEY = 'plenum.guest.';

/**
 * A guest's token is kept for the tab's lifetime so that rejoining (after a reload or a
 * lost connection) keeps the same guest identity, renewed with `guest-token/refresh`,
 * instead of appearing as a new person.
 */
interface StoredGuest {
  name: string;
  token: MeetingTokenResponse;
}

function loadGuest(code: string): StoredGuest | null {
  try {
    const raw = sessionStorage.getItem(GUEST_KEY + code);
    if (!raw) return null;
    const stored = JSON.parse(raw) as StoredGuest;
    if (typeof stored.name !== 'string' || typeof stored.token?.access_token !== 'string') return null;
    return Date.parse(stored.token.expires_at) > Date.now() + 10_000 ? stored : null;
  } catch {
    return null;
  }
}

function saveGuest(code: string, guest: StoredGuest): void {
  try {
    sessionStorage.setItem(GUEST_KEY + code, JSON.stringify(guest));
  } catch {
    // Without storage a rejoin is simply a new guest.
  }
}

export function JoinPage({ code, auth }: { code: string; auth: AuthSession }) {
  const [info, setInfo] = useState<InviteInfo | null>(null);
  const [invalid, setInvalid] = useState(false);
  const [name, setName] = useState(() => loadGuest(code)?.name ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [source, setSource] = useState<{ tokens: MeetingTokenSource; name?: string; choice: MediaChoice } | null>(null);

  useEffect(() => {
    api
      .invite(code)
      .then(setInfo)
      .catch(() => setInvalid(true));
  }, [code]);

  const submit = async (choice: MediaChoice) => {
    if (!info) return;
    setError(null);
    if (!auth.signedIn && !validDisplayName(name)) {
      setError(t('join.nameInvalid'));
      return;
    }
    setBusy(true);
    try {
      if (auth.signedIn) {
        const meetingId = info.meeting_id;
        const body = { invite_code: code, password: password || null };
        const first = await api.joinToken(await auth.accessToken(), meetingId, body);
        setSource({
          choice,
          tokens: {
            initial: () => Promise.resolve(first),
            refresh: async () => api.joinToken(await auth.accessToken(), meetingId, body),
          },
        });
      } else {
        const displayName = name.trim();
        const stored = loadGuest(code);
        let first: MeetingTokenResponse;
        if (stored && stored.name === displayName) {
          first = await api.refreshGuestToken(code, stored.token.access_token);
        } else {
          first = await api.guestToken(code, { display_name: displayName, password: password || null });
        }
        saveGuest(code, { name: displayName, token: first });
        let latest = first;
        let used = false;
        const renew = async (current: string) => {
          latest = await api.refreshGuestToken(code, current);
          saveGuest(code, { name: displayName, token: latest });
          return latest;
        };
        setSource({
          choice,
          name: displayName,
          tokens: {
            // A rejoin after a lost connection keeps the guest identity: renew, don't re-register.
            initial: () => {
              if (!used) {
                used = true;
                return Promise.resolve(first);
              }
              return renew(latest.access_token);
            },
            refresh: renew,
          },
        });
      }
    } catch (err) {
      if (err instanceof ApiError && (err.code === 'wrong_password' || err.code === 'password_required')) {
        setError(t('join.wrongPassword'));
      } else if (err instanceof ApiError && err.code === 'network') setError(t('error.network'));
      else if (err instanceof ApiError && err.status === 404) setInvalid(true);
      else if (err instanceof ApiError && err.status === 422) setError(t('join.nameInvalid'));
      else setError(t('join.refused'));
    } finally {
      setBusy(false);
    }
  };

  const leaveToForm = useMemo(() => () => setSource(null), []);

  if (source) {
    return <MeetingPage tokens={source.tokens} displayName={source.name} choice={source.choice} onRejoin={leaveToForm} />;
  }
  if (invalid) {
    return (
      <div class="card center-card" role="alert">
        <p>{t('join.invalid')}</p>
      </div>
    );
  }
  if (!info) return <p class="center muted">{t('app.loading')}</p>;

  return (
    <Lobby heading={t('join.title', { title: info.title })} error={error} busy={busy} onJoin={(c) => void submit(c)}>
      {auth.signedIn && auth.user ? (
        <p class="muted">{t('join.asUser', { name: auth.user.display_name })}</p>
      ) : (
        <label class="field">
          <span>{t('join.displayName')}</span>
          <input
            name="display_name"
            autoComplete="nickname"
            required
            maxLength={MAX_DISPLAY_NAME_CHARS}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
      )}
      {info.password_required && (
        <label class="field">
          <span>{t('join.password')}</span>
          <input type="password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
      )}
    </Lobby>
  );
}
