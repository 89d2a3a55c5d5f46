// (g2) A meeting of two where the other person leaves and others come: the one who stays
// keeps one subscribe connection throughout and sees and hears every newcomer, including
// the same person coming back. (The SFU once stopped every m-line when the last remote
// publisher left; Chromium refused that offer and the one who stayed saw nobody again.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  NETNS_IP,
  closedReason,
  expectDecodingFrom,
  expectFullMesh,
  joinAsGuest,
  joinAsUser,
  meetingIdOfInvite,
  personState,
  scenario,
  selfId,
  waitFor,
} from './harness.mjs';

/** Marks the current subscribe connection, to tell later whether it is still the same one. */
function markSubscribe(browser) {
  return browser.evaluate(() => {
    const pc = window.__plenumPeers?.subscribe;
    if (!pc) return false;
    pc.plenumTestMark = 'first';
    return true;
  });
}

/** The marked subscribe connection's state, or null once the client replaced it. */
function markedSubscribeState(browser) {
  return browser.evaluate(() => {
    const pc = window.__plenumPeers?.subscribe;
    if (!pc || pc.plenumTestMark !== 'first') return null;
    return {
      connection: pc.connectionState,
      signaling: pc.signalingState,
      directions: pc.getTransceivers().map((t) => t.currentDirection),
    };
  });
}

async function leave(browser, stayer, id) {
  await browser.page.getByRole('button', { name: 'Leave', exact: true }).click();
  await waitFor(async () => (await closedReason(browser)) === 'left', { message: `${browser.label} to have left` });
  await waitFor(async () => (await personState(stayer, id)) === null, {
    message: `${stayer.label} to see ${browser.label} leave`,
  });
}

/** The one who stayed answered the leave: connected, stable, every m-line idle, none stopped. */
async function expectIdleAfterLeave(stayer) {
  await waitFor(
    async () => {
      const s = await markedSubscribeState(stayer);
      return s && s.signaling === 'stable' && s.directions.length > 0 && s.directions.every((d) => d === 'inactive');
    },
    { message: `${stayer.label} to answer the leave offer on the same connection` },
  );
  const s = await markedSubscribeState(stayer);
  assert.equal(s.connection, 'connected', `${stayer.label}'s subscribe connection after the leave`);
}

test('two people, one leaves, another joins and the first comes back: all see and hear each other', { timeout: 240_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const meetingId = await meetingIdOfInvite(server, server.inviteCode);
    const owner = await chromium('owner');
    const bo = await chromium('guest Bo');
    await joinAsUser(owner, server, meetingId);
    await joinAsGuest(bo, server.inviteUrl, 'Bo');
    await expectFullMesh([owner, bo]);
    assert.ok(await markSubscribe(owner), 'the owner has a subscribe connection');
    const mLines = (await markedSubscribeState(owner)).directions.length;

    // Bo leaves: the owner is alone, its m-lines go idle.
    await leave(bo, owner, await selfId(bo));
    await expectIdleAfterLeave(owner);

    // Cy joins: the owner sees and hears Cy on the same connection and the same m-lines.
    const cy = await chromium('guest Cy');
    await joinAsGuest(cy, server.inviteUrl, 'Cy');
    await expectFullMesh([owner, cy]);
    assert.equal((await markedSubscribeState(owner))?.directions.length, mLines, 'm-lines reused');

    // Cy leaves too, and Bo comes back in the same browser.
    await leave(cy, owner, await selfId(cy));
    await expectIdleAfterLeave(owner);
    await joinAsGuest(bo, server.inviteUrl, 'Bo');
    await expectFullMesh([owner, bo]);

    // Cy comes back as well: three, then the first of the others (whose m-lines come first
    // in the owner's connection) leaves, and the two left still see each other.
    await joinAsGuest(cy, server.inviteUrl, 'Cy');
    await expectFullMesh([owner, bo, cy]);
    await leave(bo, owner, await selfId(bo));
    await expectDecodingFrom(owner, [await selfId(cy)]);
    await expectFullMesh([owner, cy]);

    const s = await markedSubscribeState(owner);
    assert.ok(s, 'the owner kept its first subscribe connection throughout');
    assert.equal(s.connection, 'connected');
    assert.ok(s.directions.length <= 2 * mLines, `m-lines bounded by the peak: ${s.directions}`);
    for (const b of [owner, bo, cy]) {
      const refused = b.consoleLog.filter((l) => l.includes('InvalidAccessError'));
      assert.deepEqual(refused, [], `${b.label} refused an offer`);
    }
  }),
);

test('Firefox stays while the other person leaves and another joins', { timeout: 240_000 }, () => {
  if (!NETNS_IP) {
    throw new Error('Firefox needs the private network namespace of `npm run e2e` (root and `unshare`)');
  }
  return scenario(
    async ({ server, chromium, firefox }) => {
      const fox = await firefox('guest Fox (Firefox)');
      const bo = await chromium('guest Bo');
      await joinAsGuest(fox, server.inviteUrl, 'Fox');
      await joinAsGuest(bo, server.inviteUrl, 'Bo');
      await expectFullMesh([fox, bo], { timeout: 45_000 });
      assert.ok(await markSubscribe(fox), 'Firefox has a subscribe connection');

      await leave(bo, fox, await selfId(bo));
      await expectIdleAfterLeave(fox);
      const cy = await chromium('guest Cy');
      await joinAsGuest(cy, server.inviteUrl, 'Cy');
      await expectFullMesh([fox, cy], { timeout: 45_000 });
      const s = await markedSubscribeState(fox);
      assert.ok(s, 'Firefox kept its first subscribe connection');
      assert.equal(s.connection, 'connected');
    },
    { mediaIp: NETNS_IP },
  );
});
