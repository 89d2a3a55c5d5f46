// A password-protected meeting: the invite page asks for the password, a wrong one is
// refused with a clear message (and no meeting token), the right one lets the guest in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminToken, createMeeting, joinAsGuest, scenario, selfId, waitFor } from './harness.mjs';

test('password-protected meeting', { timeout: 120_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const token = await adminToken(server);
    const { invite } = await createMeeting(server, token, { title: 'Board', password: 'correct horse' });
    const guest = await chromium('guest');
    await joinAsGuest(guest, invite.url, 'Guest', { password: 'wrong', waitJoined: false });
    const alert = await waitFor(
      () => guest.evaluate(() => document.querySelector('form [role="alert"]')?.textContent ?? null),
      { message: 'the wrong password to be refused' },
    );
    assert.equal(alert, 'The password is wrong.');
    assert.equal(await selfId(guest), null);

    await guest.fillField('Meeting password', 'correct horse');
    await guest.clickButton('Join');
    await waitFor(() => selfId(guest), { message: 'the guest to join with the right password' });
    assert.equal(await guest.evaluate(() => document.querySelector('.meeting-title-text')?.textContent), 'Board');
  }),
);
