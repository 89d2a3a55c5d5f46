// Token renewal: with 30 s access tokens (the server's minimum), an owner and a guest stay in
// the meeting for 2.5 token lifetimes. The client renews its meeting token (join-token for
// users, guest-token/refresh for guests) and hands it over with `session.refresh` on the
// open socket — observed on the wire — and media keeps flowing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { closedReason, expectDecodingFrom, joinAsGuest, joinAsUser, meetingIdOfInvite, scenario, selfId } from './harness.mjs';

const LIFETIME_S = 30;

/** Counts `session.refresh` frames the page sends and `session.refreshed` answers. */
function watchRefreshes(browser) {
  const counts = { sent: 0, refreshed: 0 };
  browser.page.on('websocket', (ws) => {
    ws.on('framesent', (f) => {
      if (String(f.payload).includes('"session.refresh"')) counts.sent++;
    });
    ws.on('framereceived', (f) => {
      if (String(f.payload).includes('"session.refreshed"')) counts.refreshed++;
    });
  });
  return counts;
}

test('meeting tokens are renewed before they expire', { timeout: 240_000 }, () =>
  scenario(
    async ({ server, chromium }) => {
      const meetingId = await meetingIdOfInvite(server, server.inviteCode);
      const owner = await chromium('owner');
      const guest = await chromium('guest');
      const ownerCounts = watchRefreshes(owner);
      const guestCounts = watchRefreshes(guest);
      await joinAsUser(owner, server, meetingId);
      await joinAsGuest(guest, server.inviteUrl, 'Guest');
      const ownerId = await selfId(owner);
      const guestId = await selfId(guest);
      // Measurement window: the tokens the browsers joined with expire inside it.
      await delay(LIFETIME_S * 2.5 * 1000);
      for (const [b, counts] of [
        [owner, ownerCounts],
        [guest, guestCounts],
      ]) {
        assert.equal(await closedReason(b), null, `${b.label} is still in the meeting`);
        assert.ok(counts.sent >= 2, `${b.label} sent session.refresh ${counts.sent} times`);
        assert.ok(counts.refreshed >= 2, `${b.label} got session.refreshed ${counts.refreshed} times`);
      }
      await expectDecodingFrom(owner, [guestId]);
      await expectDecodingFrom(guest, [ownerId]);
    },
    { env: { PLENUM_TOKENS__ACCESS_LIFETIME: String(LIFETIME_S) } },
  ),
);
