/**
 * Entering a meeting: owner/user entry by meeting id (`/m/{id}`), and the page that runs a
 * {@link MeetingController} for a token source and shows the meeting, the waiting screen
 * or the banner that explains why the meeting is over.
 */

import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type AuthSession } from '../api';
import { DEFAULT_CHOICE, type MediaChoice } from '../devices';
import { t, type MessageKey } from '../i18n';
import { MeetingController, type MeetingTokenSource } from '../meeting';
import type { ClosedReason } from '../roomState';
import { navigate } from '../router';
import { Lobby } from './Lobby';
import { MeetingView } from './MeetingView';

/** `/m/{id}` for signed-in users: the lobby (titled when the user may read the meeting), then the meeting. */
export function OwnerMeetingPage({ meetingId, auth }: { meetingId: string; auth: AuthSession }) {
  const [tokens] = useState<MeetingTokenSource>(() => ({
    initial: async () => api.joinToken(await auth.accessToken(), meetingId, {}),
    refresh: async () => api.joinToken(await auth.accessToken(), meetingId, {}),
  }));
  const [title, setTitle] = useState<string | null>(null);
  const [choice, setChoice] = useState<MediaChoice | null>(null);
  useEffect(() => {
    // Only owners may read a meeting; everyone else sees the generic lobby heading.
    void auth
      .accessToken()
      .then((token) => api.meeting(token, meetingId))
      .then((m) => setTitle(m.title))
      .catch(() => {});
  }, [auth, meetingId]);
  if (!choice) {
    return (
      <Lobby
        heading={title ? t('join.title', { title }) : t('lobby.title')}
        error={null}
        busy={false}
        onJoin={setChoice}
      />
    );
  }
  return <MeetingPage key={meetingId} tokens={tokens} choice={choice} onRejoin={() => setChoice(null)} />;
}

const closedText: Record<ClosedReason, MessageKey> = {
  left: 'meeting.left',
  removed: 'meeting.removed',
  banned: 'meeting.banned',
  denied: 'meeting.denied',
  refused: 'join.refused',
  ended: 'meeting.ended',
  deleted: 'meeting.deleted',
  internal_error: 'meeting.internalError',
  not_found: 'meeting.notFound',
  token: 'join.refused',
  connection_lost: 'meeting.connectionLost',
  locked: 'meeting.locked',
};

/** Reasons after which trying again makes sense. */
const canRejoin: ReadonlySet<ClosedReason> = new Set(['left', 'connection_lost', 'token', 'locked']);

export function MeetingPage({
  tokens,
  displayName,
  choice = DEFAULT_CHOICE,
  onRejoin,
}: {
  tokens: MeetingTokenSource;
  displayName?: string | undefined;
  choice?: MediaChoice;
  onRejoin?: () => void;
}) {
  const [generation, setGeneration] = useState(0);
  const [controller, setController] = useState<MeetingController | null>(null);
  const [, setVersion] = useState(0);
  const [startError, setStartError] = useState<string | null>(null);

  useEffect(() => {
    const c = new MeetingController(
      {
        initial: () =>
          tokens.initial().catch((e: unknown) => {
            setStartError(e instanceof ApiError && e.status === 404 ? t('meeting.notFound') : t('join.refused'));
            throw e;
          }),
        refresh: (current) => tokens.refresh(current),
      },
      displayName,
      choice,
    );
    setController(c);
    const unsubscribe = c.subscribe(() => setVersion((v) => v + 1));
    void c.start();
    const onUnload = () => c.dispose();
    window.addEventListener('pagehide', onUnload);
    return () => {
      window.removeEventListener('pagehide', onUnload);
      unsubscribe();
      c.dispose();
    };
  }, [tokens, displayName, choice, generation]);

  if (!controller) return <p class="center muted">{t('meeting.connecting')}</p>;
  const snapshot = controller.getSnapshot();
  const { room } = snapshot;

  if (room.phase === 'closed') {
    const reason = room.closedReason ?? 'connection_lost';
    return (
      <div class={`card center-card banner banner-${reason}`} role="alert" data-closed-reason={reason}>
        <p class="banner-text">{startError ?? t(closedText[reason])}</p>
        <div class="banner-actions">
          {canRejoin.has(reason) && !startError && (
            <button
              type="button"
              class="btn btn-primary"
              onClick={() => (onRejoin && reason === 'left' ? onRejoin() : setGeneration((g) => g + 1))}
            >
              {t('meeting.reconnect')}
            </button>
          )}
          <a
            class="btn"
            href="/"
            onClick={(e) => {
              e.preventDefault();
              navigate('/');
            }}
          >
            {t('meeting.home')}
          </a>
        </div>
      </div>
    );
  }
  if (room.phase === 'waiting') {
    return (
      <div class="card center-card waiting-screen" role="status" aria-live="polite" data-phase="waiting">
        <div class="waiting-pulse" aria-hidden="true" />
        <h1>{t('meeting.waiting')}</h1>
        <p class="muted">{t('meeting.waitingHint')}</p>
        <button type="button" class="btn" onClick={() => controller.leave()}>
          {t('controls.leave')}
        </button>
      </div>
    );
  }
  if (room.phase === 'connecting') {
    return (
      <p class="center muted" role="status">
        {t('meeting.connecting')}
      </p>
    );
  }
  return <MeetingView controller={controller} snapshot={snapshot} />;
}
