/**
 * "Connection lost — reconnecting…" while the controller tries to get back into the
 * meeting, so the user sees why the videos stand still instead of a frozen page.
 */

import { t } from '../i18n';

export function ConnectionBanner({ connection }: { connection: 'connected' | 'reconnecting' }) {
  if (connection !== 'reconnecting') return null;
  return (
    <div class="banner-inline banner-reconnecting" role="alert" data-connection="reconnecting">
      <span class="reconnect-spinner" aria-hidden="true" />
      {t('meeting.reconnecting')}
    </div>
  );
}
