/**
 * The meeting lock in the header: everyone sees whether the meeting is locked (icon and
 * word, not colour alone); moderators switch it.
 */

import { t } from '../i18n';
import type { MeetingController } from '../meeting';
import type { RoomState } from '../protocol';
import { LockIcon, UnlockIcon } from './icons';
import './features.css';

export function LockControl({
  room,
  moderator,
  controller,
}: {
  room: RoomState | null;
  moderator: boolean;
  controller: MeetingController;
}) {
  const locked = room?.locked ?? false;
  return (
    <>
      <span class="lock-indicator" role="status" data-locked={locked ? 'true' : 'false'}>
        {locked && (
          <span class="lock-badge" title={t('lock.lockedHint')}>
            <LockIcon />
            <span>{t('lock.locked')}</span>
            <span class="visually-hidden">{t('lock.lockedHint')}</span>
          </span>
        )}
      </span>
      {moderator && (
        <button
          type="button"
          class="btn btn-small lock-toggle"
          onClick={() => controller.setLocked(!locked)}
        >
          {locked ? <UnlockIcon /> : <LockIcon />}
          <span>{locked ? t('lock.unlock') : t('lock.lock')}</span>
        </button>
      )}
    </>
  );
}
