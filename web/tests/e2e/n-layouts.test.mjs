// (n) Layouts: two tiles on a wide window sit side by side; speaker view shows one remote
// camera large (decoded at a larger simulcast layer) and the others, self-view included,
// in a strip (decoded small); in the grid a screen share is large with the people in a strip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectDecodingFrom, inbound, joinAsGuest, scenario, selfId, statFor, tileBoxes, waitFor } from './harness.mjs';

async function width(viewer, participantId, source = 'camera') {
  return statFor(await inbound(viewer), participantId, source)?.frameWidth ?? 0;
}

test('grid, speaker view and screen-share layout', { timeout: 300_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const viewer = await chromium('viewer', { viewport: { width: 1280, height: 800 } });
    const b = await chromium('B');
    await joinAsGuest(viewer, server.inviteUrl, 'Viewer');
    await joinAsGuest(b, server.inviteUrl, 'B');
    const viewerId = await selfId(viewer);
    const bId = await selfId(b);

    // Two people on a wide window (side panels open): one row, two columns.
    const pair = await waitFor(
      async () => {
        const { stage } = await tileBoxes(viewer);
        return stage.length === 2 ? stage : null;
      },
      { message: 'two tiles on the stage' },
    );
    assert.ok(Math.abs(pair[0].y - pair[1].y) < 2, `tiles on one row: ${JSON.stringify(pair)}`);
    assert.ok(pair[1].x >= pair[0].x + pair[0].width, `tiles side by side: ${JSON.stringify(pair)}`);
    assert.ok(pair.some((t) => t.participantId === viewerId), 'the self-view is a tile');

    const c = await chromium('C');
    await joinAsGuest(c, server.inviteUrl, 'C');
    const cId = await selfId(c);
    // Nobody talks, so the speaker stays put (the fake microphones all beep alike).
    for (const p of [viewer, b, c]) await p.clickButton('Mute microphone');
    await expectDecodingFrom(viewer, [bId, cId]);

    await viewer.clickButton('Speaker view');
    const speaker = await waitFor(
      async () => {
        const { stage, strip } = await tileBoxes(viewer);
        return stage.length === 1 && strip.length === 2 ? { stage, strip } : null;
      },
      { message: 'speaker view: one large tile and a strip of two' },
    );
    const large = speaker.stage[0];
    assert.notEqual(large.participantId, viewerId, 'a remote person is large, not the self-view');
    assert.ok(speaker.strip.some((t) => t.participantId === viewerId), 'the self-view is in the strip');
    const small = speaker.strip.find((t) => t.participantId !== viewerId);
    assert.ok(large.width > 2 * small.width, `stage tile larger than strip tiles: ${JSON.stringify(speaker)}`);
    // The tile sizes drive the layers: the strip tile gets the lowest (320 wide), the stage a larger one.
    await waitFor(
      async () => (await width(viewer, small.participantId)) === 320 && (await width(viewer, large.participantId)) >= 640,
      { timeout: 45_000, message: 'small layer for the strip, larger for the speaker' },
    );
    // The choice is remembered for the next meeting.
    assert.equal(await viewer.evaluate(() => localStorage.getItem('plenum.view')), 'speaker');

    await viewer.clickButton('Grid view');
    await waitFor(async () => (await tileBoxes(viewer)).stage.length === 3, { message: 'back to the grid of three' });

    // A screen share takes the stage; the people go to the strip.
    await b.clickButton('Share screen');
    await expectDecodingFrom(viewer, [bId], { source: 'screen' });
    const shared = await waitFor(
      async () => {
        const { stage, strip } = await tileBoxes(viewer);
        return stage.length === 1 && stage[0].key === `${bId}:screen` && strip.length === 3 ? { stage, strip } : null;
      },
      { message: 'the shared screen large, three people in the strip' },
    );
    assert.ok(shared.stage[0].width > 2 * shared.strip[0].width, JSON.stringify(shared));
    await expectDecodingFrom(viewer, [bId, cId]);
  }),
);
