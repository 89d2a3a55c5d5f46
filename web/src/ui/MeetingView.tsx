/**
 * The meeting itself: video stage and strip, the control bar, participants (with
 * moderation), the waiting room for moderators, and the chat.
 *
 * Tile sizes are measured with a ResizeObserver and reported to the controller, which
 * sends `media.view` (debounced), so what is on screen decides which videos and which
 * simulcast layers the server forwards.
 */

import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { t } from '../i18n';
import { arrange, buildTiles, gridCell, pageSizeFor, type MeasuredTile, type TileSpec, type VideoSource, type ViewMode } from '../layout';
import { loadPageSizeLimit, loadViewMode, saveViewMode } from '../layoutPrefs';
import { ConnectionBanner } from './ConnectionBanner';
import { DeviceSettings } from './DeviceSettings';
import { Shortcuts } from './Shortcuts';
import { unreadCount } from '../notifications';
import { Pagination, ViewToggle } from './Pagination';
import type { MeetingController, MeetingSnapshot } from '../meeting';
import type { ShownReaction } from '../roomState';
import { isModerator, MAX_CHAT_CHARS, type Participant, type ParticipantId } from '../protocol';
import { LanguageSelect } from './App';
import { ChatText } from './ChatText';
import { QualityBadge, useConnectionQuality } from './QualityBadge';
import type { Quality } from '../quality';
import { LockControl } from './Lock';
import { HandQueuePanel, OwnHandPosition } from './HandQueue';
import { ReactionAnnouncer, ReactionPicker, TileReactions } from './Reactions';
import { PollPanel } from './Polls';
import { VotePanel } from './Votes';
import { formatTime } from '../dates';
import { getLang, type Lang } from '../i18n';
import {
  CamIcon,
  CamOffIcon,
  ChatIcon,
  HandIcon,
  LeaveIcon,
  MicIcon,
  MicOffIcon,
  MoreIcon,
  PeopleIcon,
  PinIcon,
  PollIcon,
  VoteIcon,
  ScreenIcon,
} from './icons';

interface Props {
  controller: MeetingController;
  snapshot: MeetingSnapshot;
}

/** A control-bar button that shows or hides a side panel. */
function PanelToggle({
  label,
  shown,
  onToggle,
  describedBy,
  children,
}: {
  label: string;
  shown: boolean;
  onToggle: (shown: boolean) => void;
  describedBy?: string | undefined;
  children: ComponentChildren;
}) {
  return (
    <button
      type="button"
      class={`ctl ${shown ? 'ctl-active' : ''}`}
      aria-label={label}
      title={label}
      aria-pressed={shown}
      aria-describedby={describedBy}
      onClick={() => onToggle(!shown)}
    >
      {children}
    </button>
  );
}

export function MeetingView({ controller, snapshot }: Props) {
  const { room, local } = snapshot;
  const [pinned, setPinned] = useState<string | null>(null);
  const [mode, setMode] = useState<ViewMode>(loadViewMode);
  const [page, setPage] = useState(0);
  const [pageSizeLimit] = useState(loadPageSizeLimit);
  // Speaker view keeps showing the last remote speaker while we talk ourselves.
  const lastSpeaker = useRef<ParticipantId | null>(null);
  // On narrow screens the videos come first; the panels open from the control bar.
  const [wide] = useState(() => window.matchMedia('(min-width: 901px)').matches);
  const [showChat, setShowChat] = useState(wide);
  const [seenChatId, setSeenChatId] = useState<number | null>(null);
  const lastChatId = room.chat.at(-1)?.id ?? null;
  useEffect(() => {
    controller.setChatVisible(showChat);
    if (showChat) setSeenChatId(lastChatId);
  }, [controller, showChat, lastChatId]);
  const unread = showChat ? 0 : unreadCount(room.chat, room.selfId, seenChatId);
  const [showPeople, setShowPeople] = useState(wide);
  const [showPolls, setShowPolls] = useState(false);
  // A newly opened poll opens the panel, as in Teams and Zoom: people should see it.
  const openPollId = room.poll?.open ? room.poll.id : null;
  useEffect(() => {
    if (openPollId !== null) setShowPolls(true);
  }, [openPollId]);
  const [showVotes, setShowVotes] = useState(false);
  const openVoteId = room.vote?.opened && !room.vote.closed && room.vote.cancelled === null ? room.vote.voteId : null;
  useEffect(() => {
    if (openVoteId !== null) setShowVotes(true);
  }, [openVoteId]);
  const [, setLangVersion] = useState<Lang>(getLang());
  const rootRef = useRef<HTMLDivElement>(null);
  const stageRef = useRef<HTMLDivElement>(null);
  const [stageSize, setStageSize] = useState({ width: 0, height: 0 });
  const offscreen = useRef(new Set<string>());

  const self = room.participants.find((p) => p.id === room.selfId) ?? null;
  const moderator = self ? isModerator(self.role) : false;

  const tiles = useMemo(() => buildTiles(room.participants, room.selfId), [room.participants, room.selfId]);
  const pinnedKey = pinned && tiles.some((tile) => tile.key === pinned) ? pinned : null;
  if (room.activeSpeaker && room.activeSpeaker !== room.selfId) lastSpeaker.current = room.activeSpeaker;
  const pageSize = pageSizeFor(stageSize.width, stageSize.height, pageSizeLimit);
  const arrangement = arrange(tiles, pinnedKey, { mode, speaker: lastSpeaker.current, page, pageSize });
  const { stage, strip } = arrangement;
  const grid = gridCell(stage.length, stageSize.width, stageSize.height);
  const changeMode = (next: ViewMode) => {
    setMode(next);
    saveViewMode(next);
  };

  // Measure every tile after each render and whenever any of them resizes.
  useLayoutEffect(() => {
    const root = rootRef.current;
    const stageEl = stageRef.current;
    if (!root || !stageEl) return;
    const measure = () => {
      const stageRect = stageEl.getBoundingClientRect();
      setStageSize((s) =>
        s.width === Math.round(stageRect.width) && s.height === Math.round(stageRect.height)
          ? s
          : { width: Math.round(stageRect.width), height: Math.round(stageRect.height) },
      );
      const measured: MeasuredTile[] = [];
      for (const el of root.querySelectorAll<HTMLElement>('[data-tile-key]')) {
        // A tile scrolled out of sight (e.g. far down a long strip) is not shown, so its
        // video need not be forwarded.
        if (offscreen.current.has(el.dataset.tileKey ?? '')) continue;
        const rect = el.getBoundingClientRect();
        const participantId = el.dataset.participantId;
        const source = el.dataset.source as VideoSource | undefined;
        if (!participantId || !source) continue;
        measured.push({
          participantId,
          source,
          isSelf: el.dataset.self === 'true',
          cssWidth: rect.width,
          cssHeight: rect.height,
        });
      }
      controller.updateView(measured);
    };
    const observer = new ResizeObserver(measure);
    observer.observe(stageEl);
    const visibility = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const key = (entry.target as HTMLElement).dataset.tileKey ?? '';
        if (entry.isIntersecting) offscreen.current.delete(key);
        else offscreen.current.add(key);
      }
      measure();
    });
    for (const el of root.querySelectorAll('[data-tile-key]')) {
      observer.observe(el);
      visibility.observe(el);
    }
    measure();
    return () => {
      observer.disconnect();
      visibility.disconnect();
    };
  });

  const nameOf = (id: ParticipantId) => room.participants.find((p) => p.id === id)?.display_name ?? '';

  const quality = useConnectionQuality(controller, snapshot.remote);

  const renderTile = (tile: TileSpec, small: boolean) => {
    const participant = room.participants.find((p) => p.id === tile.participantId);
    if (!participant) return null;
    const stream =
      tile.isSelf && tile.source === 'camera'
        ? snapshot.localStream
        : tile.isSelf
          ? snapshot.screenStream
          : (snapshot.remote.get(`${tile.participantId}:${tile.source}`)?.stream ?? null);
    const videoOn = tile.source === 'screen' ? true : tile.isSelf ? local.camera : participant.media.camera;
    return (
      <VideoTile
        key={tile.key}
        tile={tile}
        participant={participant}
        stream={stream}
        videoOn={videoOn}
        small={small}
        speaking={room.activeSpeaker === tile.participantId}
        pinned={pinnedKey === tile.key}
        onPin={() => setPinned(pinnedKey === tile.key ? null : tile.key)}
        reactions={tile.source === 'camera' ? room.reactions : []}
        quality={tile.source === 'camera' && !tile.isSelf ? (quality.get(tile.participantId) ?? null) : null}
      />
    );
  };

  const remoteAudio = [...snapshot.remote.values()].filter((r) => r.source === 'microphone');

  return (
    <div class="meeting" ref={rootRef} data-self-id={room.selfId ?? ''}>
      <header class="meeting-bar">
        <h1 class="meeting-title-text">{room.room?.title ?? ''}</h1>
        <span class="muted meeting-count">{t('people.title', { count: room.participants.length })}</span>
        <LockControl room={room.room} moderator={moderator} controller={controller} />
        <span class="spacer" />
        <LanguageSelect lang={getLang()} onChange={setLangVersion} />
      </header>

      <ConnectionBanner connection={snapshot.connection} />
      {self?.muted_by_moderator && (
        <div class="banner-inline" role="status">
          {t('meeting.mutedByModerator')}
        </div>
      )}
      <OwnHandPosition room={room} />

      <div class={`meeting-body ${showChat || showPeople || showPolls || showVotes ? 'with-panel' : ''}`}>
        <section class={`stage-area ${strip.length > 0 ? 'has-strip' : ''} ${arrangement.pageCount > 1 ? 'paged' : ''}`}>
          <div
            class={`stage ${strip.length > 0 ? 'stage-focus' : ''}`}
            ref={stageRef}
            style={
              strip.length > 0 || grid.tileWidth <= 0
                ? { gridTemplateColumns: `repeat(${grid.columns}, minmax(0, 1fr))` }
                : { gridTemplateColumns: `repeat(${grid.columns}, ${Math.floor(grid.tileWidth)}px)` }
            }
          >
            {stage.map((tile) => renderTile(tile, false))}
          </div>
          {strip.length > 0 && <div class="strip">{strip.map((tile) => renderTile(tile, true))}</div>}
          <Pagination page={arrangement.page} pageCount={arrangement.pageCount} onPage={setPage} />
        </section>

        {(showChat || showPeople || showPolls || showVotes) && (
          <aside class="side-panel">
            {moderator && <HandQueuePanel room={room} controller={controller} />}
            {showPeople && (
              <People controller={controller} snapshot={snapshot} moderator={moderator} />
            )}
            {moderator && room.room && room.room.waiting_room !== undefined && (
              <WaitingRoom controller={controller} snapshot={snapshot} />
            )}
            {showVotes && <VotePanel controller={controller} room={room} moderator={moderator} />}
            {showPolls && <PollPanel controller={controller} room={room} moderator={moderator} />}
            {showChat && <Chat controller={controller} snapshot={snapshot} nameOf={nameOf} />}
          </aside>
        )}
      </div>

      <nav class="controls" aria-label={t('controls.label')}>
        <button
          type="button"
          class={`ctl ${local.mic ? '' : 'ctl-off'}`}
          aria-label={local.mic ? t('controls.mute') : t('controls.unmute')}
          title={local.mic ? t('controls.mute') : t('controls.unmute')}
          disabled={!local.hasMic}
          onClick={() => void controller.setMic(!local.mic)}
        >
          {local.mic ? <MicIcon /> : <MicOffIcon />}
        </button>
        <button
          type="button"
          class={`ctl ${local.camera ? '' : 'ctl-off'}`}
          aria-label={local.camera ? t('controls.cameraOff') : t('controls.cameraOn')}
          title={local.camera ? t('controls.cameraOff') : t('controls.cameraOn')}
          disabled={!local.hasCamera}
          onClick={() => void controller.setCamera(!local.camera)}
        >
          {local.camera ? <CamIcon /> : <CamOffIcon />}
        </button>
        <button
          type="button"
          class={`ctl ${local.screen ? 'ctl-active' : ''}`}
          aria-label={local.screen ? t('controls.stopShare') : t('controls.shareScreen')}
          title={local.screen ? t('controls.stopShare') : t('controls.shareScreen')}
          aria-pressed={local.screen}
          disabled={typeof navigator.mediaDevices?.getDisplayMedia !== 'function'}
          onClick={() => void controller.setScreen(!local.screen)}
        >
          <ScreenIcon />
        </button>
        <button
          type="button"
          class={`ctl ${self?.hand_raised ? 'ctl-active' : ''}`}
          aria-label={self?.hand_raised ? t('controls.lowerHand') : t('controls.raiseHand')}
          title={self?.hand_raised ? t('controls.lowerHand') : t('controls.raiseHand')}
          aria-pressed={self?.hand_raised ?? false}
          onClick={() => controller.setHand(!(self?.hand_raised ?? false))}
        >
          <HandIcon />
        </button>
        <ReactionPicker onReact={(emoji) => controller.react(emoji)} />
        <span class="ctl-sep" />
        <ViewToggle mode={mode} onChange={changeMode} />
        <Shortcuts
          onAction={(action) => {
            if (action === 'mic' && local.hasMic) void controller.setMic(!local.mic);
            if (action === 'camera' && local.hasCamera) void controller.setCamera(!local.camera);
            if (action === 'hand') controller.setHand(!(self?.hand_raised ?? false));
          }}
        />
        <DeviceSettings controller={controller} snapshot={snapshot} />
        <PanelToggle label={t('controls.participants')} shown={showPeople} onToggle={setShowPeople}>
          <PeopleIcon />
        </PanelToggle>
        <PanelToggle label={t('controls.polls')} shown={showPolls} onToggle={setShowPolls}>
          <PollIcon />
        </PanelToggle>
        <PanelToggle label={t('controls.votes')} shown={showVotes} onToggle={setShowVotes}>
          <VoteIcon />
        </PanelToggle>
        <PanelToggle
          label={t('controls.chat')}
          shown={showChat}
          onToggle={setShowChat}
          describedBy={unread > 0 ? 'chat-unread' : undefined}
        >
          <ChatIcon />
          {unread > 0 && (
            <span class="ctl-badge" id="chat-unread" data-unread={unread}>
              <span aria-hidden="true">{unread > 99 ? '99+' : unread}</span>
              <span class="visually-hidden">{t('controls.chatUnread', { count: unread })}</span>
            </span>
          )}
        </PanelToggle>
        <span class="ctl-sep" />
        <button
          type="button"
          class="ctl ctl-leave"
          aria-label={t('controls.leave')}
          title={t('controls.leave')}
          onClick={() => controller.leave()}
        >
          <LeaveIcon />
        </button>
      </nav>

      <ReactionAnnouncer reactions={room.reactions} nameOf={nameOf} />

      <div class="toasts" role="status" aria-live="polite">
        {snapshot.notices.map((n) => (
          <div key={n.id} class="toast" onClick={() => controller.dismissNotice(n.id)}>
            {t(n.key, n.params)}
          </div>
        ))}
      </div>

      <div hidden>
        {remoteAudio.map((r) => (
          <MediaElement
            key={r.mid}
            kind="audio"
            stream={r.stream}
            muted={false}
            participantId={r.participantId}
            sinkId={snapshot.devices.speakerId}
          />
        ))}
      </div>
    </div>
  );
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : [parts[0] ?? '?'];
  return letters.map((p) => [...(p ?? '?')][0]?.toUpperCase() ?? '?').join('');
}

function VideoTile({
  tile,
  participant,
  stream,
  videoOn,
  small,
  speaking,
  pinned,
  onPin,
  reactions,
  quality,
}: {
  tile: TileSpec;
  participant: Participant;
  stream: MediaStream | null;
  videoOn: boolean;
  small: boolean;
  speaking: boolean;
  pinned: boolean;
  onPin: () => void;
  /** The room's latest reactions; the tile shows this participant's. */
  reactions: readonly ShownReaction[];
  /** How this client receives the participant; null for self, screens, or no data yet. */
  quality: Quality | null;
}) {
  const label =
    tile.source === 'screen'
      ? t('meeting.screenOf', { name: participant.display_name })
      : tile.isSelf
        ? t('meeting.you', { name: participant.display_name })
        : participant.display_name;
  const showVideo = stream !== null && videoOn;
  return (
    <figure
      class={`tile ${small ? 'tile-small' : ''} ${speaking ? 'tile-speaking' : ''} ${tile.source === 'screen' ? 'tile-screen' : ''} ${tile.isSelf && tile.source === 'camera' ? 'tile-self' : ''}`}
      data-tile-key={tile.key}
      data-participant-id={tile.participantId}
      data-source={tile.source}
      data-self={tile.isSelf ? 'true' : 'false'}
      data-name={participant.display_name}
      aria-label={label}
      onDblClick={onPin}
    >
      {stream && (
        <MediaElement
          kind="video"
          stream={stream}
          muted
          participantId={tile.participantId}
          hidden={!showVideo}
        />
      )}
      {!showVideo && (
        <div class="avatar" aria-hidden="true">
          <span>{initials(participant.display_name)}</span>
        </div>
      )}
      <figcaption class="tile-caption">
        {tile.source === 'camera' && !participant.media.mic && (
          <span class="tile-flag" role="img" aria-label={t('people.micOff')} title={t('people.micOff')}>
            <MicOffIcon />
          </span>
        )}
        {quality && <QualityBadge quality={quality} />}
        {tile.source === 'camera' && participant.hand_raised && (
          <span class="tile-flag tile-hand" title={t('people.handRaised')}>
            <HandIcon />
          </span>
        )}
        <span class="tile-name">{label}</span>
        {speaking && <span class="visually-hidden">{t('meeting.speaking')}</span>}
      </figcaption>
      <TileReactions reactions={reactions} participantId={tile.participantId} />
      <button
        type="button"
        class="tile-pin"
        aria-label={pinned ? t('meeting.unpin') : t('meeting.pin', { name: label })}
        title={pinned ? t('meeting.unpin') : t('meeting.pin', { name: label })}
        aria-pressed={pinned}
        onClick={onPin}
      >
        <PinIcon />
      </button>
    </figure>
  );
}

/** A <video> or <audio> bound to a MediaStream (srcObject can only be set from script). */
function MediaElement({
  kind,
  stream,
  muted,
  participantId,
  hidden,
  sinkId,
}: {
  kind: 'video' | 'audio';
  stream: MediaStream;
  muted: boolean;
  participantId: ParticipantId;
  hidden?: boolean;
  /** The speaker chosen in the lobby (audio only; browsers without setSinkId use the default). */
  sinkId?: string | null;
}) {
  const ref = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (el.srcObject !== stream) el.srcObject = stream;
    // Autoplay may be refused before a user gesture; the next render tries again.
    el.play().catch(() => {});
  }, [stream]);
  useEffect(() => {
    const el = ref.current;
    if (!el || !sinkId || typeof el.setSinkId !== 'function' || el.sinkId === sinkId) return;
    // A speaker unplugged since the lobby: the default output keeps playing.
    el.setSinkId(sinkId).catch(() => {});
  }, [sinkId]);
  if (kind === 'audio') {
    return <audio ref={ref} autoplay data-participant-id={participantId} />;
  }
  return (
    <video
      ref={ref}
      class={`tile-video ${hidden ? 'tile-video-hidden' : ''}`}
      autoplay
      playsInline
      muted={muted}
      data-participant-id={participantId}
    />
  );
}

function People({
  controller,
  snapshot,
  moderator,
}: {
  controller: MeetingController;
  snapshot: MeetingSnapshot;
  moderator: boolean;
}) {
  const { room } = snapshot;
  const [confirmEnd, setConfirmEnd] = useState(false);
  return (
    <section class="panel-section people" aria-labelledby="people-heading">
      <div class="panel-head">
        <h2 id="people-heading">{t('people.title', { count: room.participants.length })}</h2>
        {moderator && (
          <div class="panel-actions">
            <button type="button" class="btn btn-small" onClick={() => controller.muteAll()}>
              {t('people.muteAll')}
            </button>
            {confirmEnd ? (
              <button type="button" class="btn btn-small btn-danger" onClick={() => controller.endForAll()}>
                {t('people.confirmEnd')}
              </button>
            ) : (
              <button type="button" class="btn btn-small btn-danger-outline" onClick={() => setConfirmEnd(true)}>
                {t('people.endForAll')}
              </button>
            )}
          </div>
        )}
      </div>
      <ul class="people-list">
        {room.participants.map((p) => (
          <PersonRow
            key={p.id}
            p={p}
            isSelf={p.id === room.selfId}
            moderator={moderator}
            controller={controller}
            speaking={room.activeSpeaker === p.id}
          />
        ))}
      </ul>
    </section>
  );
}

function PersonRow({
  p,
  isSelf,
  moderator,
  controller,
  speaking,
}: {
  p: Participant;
  isSelf: boolean;
  moderator: boolean;
  controller: MeetingController;
  speaking: boolean;
}) {
  const [menuOpen, setMenuOpen] = useState(false);
  // The actions open inline under the row (the list scrolls, so a pop-up would be clipped)
  // and close once one is chosen.
  const menuAction = (action: () => void) => () => {
    setMenuOpen(false);
    action();
  };
  const micLabel = p.muted_by_moderator ? t('people.mutedByModerator') : p.media.mic ? t('people.micOn') : t('people.micOff');
  const name = p.display_name;
  return (
    <li
      class={`person ${speaking ? 'person-speaking' : ''}`}
      data-participant-id={p.id}
      data-name={name}
      data-mic={p.media.mic ? 'on' : 'off'}
      data-muted-by-moderator={p.muted_by_moderator ? 'true' : 'false'}
      data-hand={p.hand_raised ? 'raised' : 'down'}
      data-role={p.role}
    >
      <span class="person-avatar" aria-hidden="true">
        {initials(name)}
      </span>
      <span class="person-name">
        {isSelf ? t('meeting.you', { name }) : name}
        <span class="person-role">{t(`role.${p.role}`)}</span>
      </span>
      <span class="person-flags">
        {p.hand_raised && (
          <span class="flag flag-hand" role="img" aria-label={t('people.handRaised')} title={t('people.handRaised')}>
            <HandIcon />
          </span>
        )}
        {p.media.screen && (
          <span class="flag" role="img" aria-label={t('people.sharing')} title={t('people.sharing')}>
            <ScreenIcon />
          </span>
        )}
        <span
          class={`flag ${p.media.mic ? '' : 'flag-off'}`}
          role="img"
          aria-label={micLabel}
          title={micLabel}
        >
          {p.media.mic ? <MicIcon /> : <MicOffIcon />}
        </span>
        <span
          class={`flag ${p.media.camera ? '' : 'flag-off'}`}
          role="img"
          aria-label={p.media.camera ? t('people.cameraOn') : t('people.cameraOff')}
          title={p.media.camera ? t('people.cameraOn') : t('people.cameraOff')}
        >
          {p.media.camera ? <CamIcon /> : <CamOffIcon />}
        </span>
      </span>
      {moderator && !isSelf && (
        <button
          type="button"
          class="person-menu-toggle"
          aria-label={t('people.actionsFor', { name })}
          title={t('people.actionsFor', { name })}
          aria-expanded={menuOpen}
          onClick={() => setMenuOpen(!menuOpen)}
        >
          <MoreIcon />
        </button>
      )}
      {moderator && !isSelf && menuOpen && (
        <div class="menu-items">
            <button type="button" onClick={menuAction(() => controller.moderate('moderation.mute', p.id))}>
              {t('people.mute', { name })}
            </button>
            {p.hand_raised && (
              <button type="button" onClick={menuAction(() => controller.moderate('moderation.lower_hand', p.id))}>
                {t('people.lowerHand', { name })}
              </button>
            )}
            {p.role === 'moderator' ? (
              <button type="button" onClick={menuAction(() => controller.moderate('moderation.revoke_moderator', p.id))}>
                {t('people.revokeModerator', { name })}
              </button>
            ) : p.role !== 'owner' ? (
              <button type="button" onClick={menuAction(() => controller.moderate('moderation.grant_moderator', p.id))}>
                {t('people.makeModerator', { name })}
              </button>
            ) : null}
            {p.role !== 'owner' && (
              <>
                <button type="button" class="danger" onClick={menuAction(() => controller.moderate('moderation.remove', p.id))}>
                  {t('people.remove', { name })}
                </button>
                <button type="button" class="danger" onClick={menuAction(() => controller.moderate('moderation.ban', p.id))}>
                  {t('people.ban', { name })}
                </button>
              </>
            )}
        </div>
      )}
    </li>
  );
}

function WaitingRoom({ controller, snapshot }: { controller: MeetingController; snapshot: MeetingSnapshot }) {
  const room = snapshot.room.room;
  if (!room) return null;
  return (
    <section class="panel-section waiting" aria-labelledby="waiting-heading">
      <div class="panel-head">
        <h2 id="waiting-heading">{t('waiting.title', { count: room.waiting.length })}</h2>
        <label class="check">
          <input
            type="checkbox"
            checked={room.waiting_room}
            onChange={(e) => controller.setWaitingRoom(e.currentTarget.checked)}
          />
          <span>{t('waiting.enabled')}</span>
        </label>
      </div>
      {room.waiting.length === 0 ? (
        <p class="muted small">{t('waiting.empty')}</p>
      ) : (
        <ul class="waiting-list">
          {room.waiting.map((w) => (
            <li key={w.id} class="waiting-item" data-participant-id={w.id} data-name={w.display_name}>
              <span class="person-name">{w.display_name}</span>
              <button
                type="button"
                class="btn btn-small btn-primary"
                onClick={() => controller.moderate('moderation.admit', w.id)}
              >
                {t('waiting.admit', { name: w.display_name })}
              </button>
              <button type="button" class="btn btn-small" onClick={() => controller.moderate('moderation.deny', w.id)}>
                {t('waiting.deny', { name: w.display_name })}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Chat({
  controller,
  snapshot,
  nameOf,
}: {
  controller: MeetingController;
  snapshot: MeetingSnapshot;
  nameOf: (id: ParticipantId) => string;
}) {
  const { room } = snapshot;
  const [text, setText] = useState('');
  const [to, setTo] = useState<string>('');
  const logRef = useRef<HTMLDivElement>(null);
  const others = room.participants.filter((p) => p.id !== room.selfId);
  const recipient = to && others.some((p) => p.id === to) ? to : '';

  useEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [room.chat.length]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (await controller.sendChat(text, recipient || null)) setText('');
  };

  return (
    <section class="panel-section chat" aria-labelledby="chat-heading">
      <div class="panel-head">
        <h2 id="chat-heading">{t('chat.title')}</h2>
      </div>
      {/* The log role goes on a wrapper: on the <ol> itself it would hide the list semantics. */}
      <div class="chat-log" ref={logRef} role="log" aria-label={t('chat.history')}>
        <ol class="chat-list">
          {room.chat.length === 0 && <li class="muted small">{t('chat.empty')}</li>}
          {room.chat.map((m) => {
            const mine = m.from.id === room.selfId;
            const priv = m.to !== undefined && m.to !== null;
            return (
              <li
                key={m.id}
                class={`chat-msg ${mine ? 'chat-mine' : ''} ${priv ? 'chat-private' : ''}`}
                data-chat-id={m.id}
                data-private={priv ? 'true' : 'false'}
              >
                <div class="chat-meta">
                  <span class="chat-from">{m.from.display_name}</span>
                  {priv && (
                    <span class="chat-priv">
                      {t('chat.private')}
                      {mine && m.to ? ` · ${t('chat.privateTo', { name: nameOf(m.to) })}` : ''}
                    </span>
                  )}
                  <time dateTime={m.sent_at}>{formatTime(m.sent_at, getLang())}</time>
                </div>
                <p class="chat-text">
                  <ChatText text={m.text} />
                </p>
              </li>
            );
          })}
        </ol>
      </div>
      <form class="chat-form" onSubmit={submit}>
        <div class="field field-inline">
          {/* A separate label: wrapping the select would put its options into the name. */}
          <label for="chat-to">{t('chat.to')}</label>
          <select id="chat-to" value={recipient} onChange={(e) => setTo(e.currentTarget.value)}>
            <option value="">{t('chat.everyone')}</option>
            {others.map((p) => (
              <option key={p.id} value={p.id}>
                {p.display_name}
              </option>
            ))}
          </select>
        </div>
        <div class="chat-input-row">
          <input
            class="chat-input"
            aria-label={t('chat.message')}
            placeholder={t('chat.message')}
            maxLength={MAX_CHAT_CHARS}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <button type="submit" class="btn btn-primary" disabled={text.trim().length === 0}>
            {t('chat.send')}
          </button>
        </div>
      </form>
    </section>
  );
}
