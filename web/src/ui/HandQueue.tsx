/**
 * The hand queue: for moderators an ordered list of raised hands (first raised first) with
 * "lower" per entry and "lower all"; for everyone with a raised hand, their place in it.
 * The order is the room's (`hand_raised_seq`), so all moderators see the same queue.
 */

import { t } from '../i18n';
import type { MeetingController } from '../meeting';
import { handPosition, handQueue, type RoomView } from '../roomState';
import { HandIcon } from './icons';
import './features.css';

export function HandQueuePanel({ room, controller }: { room: RoomView; controller: MeetingController }) {
  const queue = handQueue(room);
  if (queue.length === 0) return null;
  return (
    <section class="panel-section hand-queue" aria-labelledby="hand-queue-heading">
      <div class="panel-head">
        <h2 id="hand-queue-heading">{t('hands.title', { count: queue.length })}</h2>
        <div class="panel-actions">
          <button type="button" class="btn btn-small" onClick={() => controller.lowerAllHands()}>
            {t('hands.lowerAll')}
          </button>
        </div>
      </div>
      <ol class="hand-queue-list">
        {queue.map((p, index) => (
          <li key={p.id} class="hand-queue-item" data-participant-id={p.id} data-name={p.display_name}>
            <span class="hand-queue-place" aria-hidden="true">
              {index + 1}
            </span>
            <span class="flag flag-hand" aria-hidden="true">
              <HandIcon />
            </span>
            <span class="person-name">{p.id === room.selfId ? t('meeting.you', { name: p.display_name }) : p.display_name}</span>
            <button
              type="button"
              class="btn btn-small"
              aria-label={t('people.lowerHand', { name: p.display_name })}
              onClick={() => controller.moderate('moderation.lower_hand', p.id)}
            >
              {t('hands.lower')}
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** "Your hand is raised: number 2 in the queue", while it is. */
export function OwnHandPosition({ room }: { room: RoomView }) {
  const position = room.selfId ? handPosition(room, room.selfId) : null;
  return (
    <div class="hand-position" role="status" data-position={position ?? ''}>
      {position !== null && <span class="banner-inline hand-position-text">{t('hands.position', { position })}</span>}
    </div>
  );
}
