import { describe, expect, it } from 'vitest';
import { ApiError, parseRetryAfter } from '../../src/api';
import { translator } from '../../src/i18n';
import { loginErrorMessage } from '../../src/loginError';

const en = translator('en');
const de = translator('de');
const wrong = (retryAfter?: number) =>
  new ApiError(401, 'invalid_credentials', 'wrong username or password', retryAfter);

describe('loginErrorMessage', () => {
  it('a wrong password without Retry-After is just a failed sign-in', () => {
    expect(loginErrorMessage(wrong(), en)).toBe(en('login.failed'));
  });

  it('a locked login names the wait in whole minutes, rounded up', () => {
    expect(loginErrorMessage(wrong(900), en)).toBe('Too many attempts. Try again in 15 minutes.');
    expect(loginErrorMessage(wrong(61), en)).toBe('Too many attempts. Try again in 2 minutes.');
    expect(loginErrorMessage(wrong(1), en)).toBe('Too many attempts. Try again in 1 minute.');
    expect(loginErrorMessage(wrong(0), en)).toBe('Too many attempts. Try again in 1 minute.');
    expect(loginErrorMessage(wrong(1800), de)).toBe('Zu viele Versuche. Bitte versuchen Sie es in 30 Minuten erneut.');
  });

  it('keeps the other refusals apart', () => {
    expect(loginErrorMessage(new ApiError(503, 'directory_unavailable', 'x'), en)).toBe(
      en('login.directoryUnavailable'),
    );
    expect(loginErrorMessage(new ApiError(0, 'network', 'x'), en)).toBe(en('error.network'));
    expect(loginErrorMessage(new Error('boom'), en)).toBe(en('login.failed'));
    // Retry-After on another status (an unavailable directory) is not a lock.
    expect(loginErrorMessage(new ApiError(503, 'directory_unavailable', 'x', 30), en)).toBe(
      en('login.directoryUnavailable'),
    );
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and ignores anything else', () => {
    expect(parseRetryAfter('900')).toBe(900);
    expect(parseRetryAfter(' 5 ')).toBe(5);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT')).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
    expect(parseRetryAfter('1e9')).toBeUndefined();
  });
});
