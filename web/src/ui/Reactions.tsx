/**
 * Reactions: the picker in the control bar, the emoji that float up on a tile for a few
 * seconds, and a polite live region that says who reacted (screen readers do not see
 * the floating emoji, which are decorative).
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { t, type MessageKey } from '../i18n';
import { REACTIONS, type ParticipantId, type Reaction } from '../protocol';
import type { ShownReaction } from '../roomState';
import './features.css';

/** The spoken name of each reaction (the emoji alone is read inconsistently). */
const REACTION_NAMES: Record<Reaction, MessageKey> = {
  '👍': 'reaction.thumbsUp',
  '👏': 'reaction.clap',
  '❤️': 'reaction.heart',
  '😂': 'reaction.laugh',
  '😮': 'reaction.surprised',
  '🎉': 'reaction.celebrate',
  '🤔': 'reaction.thinking',
  '👎': 'reaction.thumbsDown',
};

/** How long a reaction stays on its tile; matches the animation in features.css. */
export const REACTION_SHOWN_MS = 4_000;

export function ReactionPicker({ onReact }: { onReact: (emoji: Reaction) => void }) {
  const [open, setOpen] = useState(false);
  const rootRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !rootRef.current?.contains(e.target as Node)) {
        setOpen(false);
      }
    };
    document.addEventListener('keydown', close);
    document.addEventListener('pointerdown', close);
    return () => {
      document.removeEventListener('keydown', close);
      document.removeEventListener('pointerdown', close);
    };
  }, [open]);
  return (
    <div class="reaction-picker" ref={rootRef}>
      <button
        type="button"
        class={`ctl ${open ? 'ctl-active' : ''}`}
        aria-label={t('reaction.open')}
        title={t('reaction.open')}
        aria-expanded={open}
        aria-controls="reaction-menu"
        onClick={() => setOpen(!open)}
      >
        <span class="ctl-emoji" aria-hidden="true">
          🙂
        </span>
      </button>
      {open && (
        <div id="reaction-menu" class="reaction-menu" role="group" aria-label={t('reaction.open')}>
          {REACTIONS.map((emoji) => (
            <button
              key={emoji}
              type="button"
              class="reaction-choice"
              data-emoji={emoji}
              aria-label={t(REACTION_NAMES[emoji])}
              title={t(REACTION_NAMES[emoji])}
              onClick={() => onReact(emoji)}
            >
              <span aria-hidden="true">{emoji}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

/**
 * The reactions of one participant floating on their tile. Each is shown once, for
 * {@link REACTION_SHOWN_MS}, and then left out even if the list still holds it.
 */
export function TileReactions({ reactions, participantId }: { reactions: readonly ShownReaction[]; participantId: ParticipantId }) {
  const [done, setDone] = useState<ReadonlySet<number>>(new Set());
  const mine = reactions.filter((r) => r.participantId === participantId && !done.has(r.seq));
  useEffect(() => {
    if (mine.length === 0) return;
    const timer = setTimeout(() => {
      // Only numbers still in the room's bounded list need remembering.
      const listed = new Set(reactions.map((r) => r.seq));
      setDone((before) => new Set([...before, ...mine.map((r) => r.seq)].filter((seq) => listed.has(seq))));
    }, REACTION_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [mine.map((r) => r.seq).join(',')]);
  if (mine.length === 0) return null;
  return (
    <div class="tile-reactions" aria-hidden="true">
      {mine.map((r, i) => (
        <span key={r.seq} class={`tile-reaction tile-reaction-lane-${i % 3}`} data-emoji={r.emoji}>
          {r.emoji}
        </span>
      ))}
    </div>
  );
}

/** "Bea reacted with applause", politely, for the newest reaction. */
export function ReactionAnnouncer({
  reactions,
  nameOf,
}: {
  reactions: readonly ShownReaction[];
  nameOf: (id: ParticipantId) => string;
}) {
  const latest = reactions.at(-1);
  return (
    <div class="visually-hidden" role="status" aria-live="polite" data-testid="reaction-announcer">
      {latest
        ? t('reaction.announce', { name: nameOf(latest.participantId), reaction: t(REACTION_NAMES[latest.emoji]) })
        : ''}
    </div>
  );
}
