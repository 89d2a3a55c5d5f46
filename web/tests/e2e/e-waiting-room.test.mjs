// (e) Waiting room: a guest waits until a moderator admits them, receives no media while
// waiting, and decodes video after being admitted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  adminToken,
  closedReason,
  createMeeting,
  expectDecodingFrom,
  joinAsGuest,
  joinAsUser,
  rawInbound,
  scenario,
  selfId,
  waitFor,
} from './harness.mjs';

test('a waiting guest gets nothing until admitted, then media', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const token = await adminToken(server);
    const { meeting, invite } = await createMeeting(server, token, { title: 'Lobby test', waiting_room: true });
    const owner = await chromium('owner');
    const other = await chromium('early guest');
    const guest = await chromium('waiting guest');
    await joinAsUser(owner, server, meeting.id);
    const ownerId = await selfId(owner);

    // A first guest is admitted, so media is flowing in the meeting while the second waits.
    await joinAsGuest(other, invite.url, 'Early', { waitJoined: false });
    await waitFor(() => owner.page.getByRole('button', { name: 'Admit Early', exact: true }).isVisible(), {
      message: 'the owner to see Early waiting',
    });
    await owner.page.getByRole('button', { name: 'Admit Early', exact: true }).click();
    await waitFor(() => selfId(other), { message: 'Early to join after admission' });
    await expectDecodingFrom(other, [ownerId]);

    await joinAsGuest(guest, invite.url, 'Waiter', { waitJoined: false });
    await guest.page.getByText('Waiting for the moderator to admit you.').waitFor();
    await waitFor(() => owner.page.getByRole('button', { name: 'Admit Waiter', exact: true }).isVisible(), {
      message: 'the owner to see Waiter in the waiting room',
    });
    // While waiting (observed over a while, during which the meeting's media flows), the
    // guest has no peer connection and no inbound media at all.
    for (let i = 0; i < 4; i++) {
      const state = await guest.evaluate(() => ({
        peers: window.__plenumPeers ? window.__plenumPeers.subscribe?.connectionState ?? 'none' : 'none',
        participants: document.querySelectorAll('.person').length,
      }));
      assert.equal(state.peers, 'none', 'no media connection while waiting');
      assert.equal(state.participants, 0, 'no participant list while waiting');
      assert.deepEqual(await rawInbound(guest), []);
      await delay(500);
    }

    await owner.page.getByRole('button', { name: 'Admit Waiter', exact: true }).click();
    await waitFor(() => selfId(guest), { message: 'Waiter to join after admission' });
    await expectDecodingFrom(guest, [ownerId, await selfId(other)]);

    // Someone the moderator turns away is told so.
    const denied = await chromium('denied guest');
    await joinAsGuest(denied, invite.url, 'Unwelcome', { waitJoined: false });
    await waitFor(() => owner.page.getByRole('button', { name: 'Deny Unwelcome', exact: true }).isVisible(), {
      message: 'the owner to see Unwelcome waiting',
    });
    await owner.page.getByRole('button', { name: 'Deny Unwelcome', exact: true }).click();
    await waitFor(async () => (await closedReason(denied)) === 'denied', { message: 'Unwelcome to see the denial' });
    await denied.page.getByText('The moderator did not admit you to this meeting.').waitFor();
    assert.equal(await selfId(denied), null);
  }),
);
