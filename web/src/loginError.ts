/**
 * The message of a failed sign-in. A locked login is answered like a wrong password
 * (401 `invalid_credentials`) but with `Retry-After`, so the lock shows only there; the
 * wait is rounded up to whole minutes.
 */

import { ApiError } from './api';
import type { Translate } from './i18n';

export function loginErrorMessage(err: unknown, t: Translate): string {
  if (!(err instanceof ApiError)) return t('login.failed');
  if (err.status === 401 && err.retryAfterSeconds !== undefined) {
    const minutes = Math.max(1, Math.ceil(err.retryAfterSeconds / 60));
    return minutes === 1 ? t('login.lockedMinute') : t('login.lockedMinutes', { minutes });
  }
  if (err.code === 'directory_unavailable') return t('login.directoryUnavailable');
  if (err.code === 'network') return t('error.network');
  return t('login.failed');
}
