// (f) Two meetings at the same time on one server: neither sees media, chat or events of
// the other.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  adminToken,
  chatTexts,
  createMeeting,
  expectDecodingFrom,
  inbound,
  joinAsGuest,
  scenario,
  selfId,
  sendChat,
  waitFor,
} from './harness.mjs';

test('two concurrent meetings are isolated', { timeout: 240_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const token = await adminToken(server);
    const { invite: second } = await createMeeting(server, token, { title: 'Second meeting' });
    const a1 = await chromium('A1');
    const b1 = await chromium('B1');
    const a2 = await chromium('A2');
    const b2 = await chromium('B2');
    await joinAsGuest(a1, server.inviteUrl, 'A-one');
    await joinAsGuest(b1, server.inviteUrl, 'B-one');
    await joinAsGuest(a2, second.url, 'A-two');
    await joinAsGuest(b2, second.url, 'B-two');
    const id = new Map();
    for (const b of [a1, b1, a2, b2]) id.set(b, await selfId(b));

    await expectDecodingFrom(a1, [id.get(b1)]);
    await expectDecodingFrom(b1, [id.get(a1)]);
    await expectDecodingFrom(a2, [id.get(b2)]);
    await expectDecodingFrom(b2, [id.get(a2)]);

    await sendChat(a1, 'only for meeting one');
    await sendChat(a2, 'only for meeting two');
    await waitFor(async () => (await chatTexts(b1)).includes('only for meeting one'), { message: 'chat in meeting one' });
    await waitFor(async () => (await chatTexts(b2)).includes('only for meeting two'), { message: 'chat in meeting two' });
    // Raise a hand in meeting one: an event that must not show up in meeting two.
    await a1.clickButton('Raise hand');
    await waitFor(
      async () => (await b1.evaluate((pid) => document.querySelector(`.person[data-participant-id="${pid}"]`)?.dataset.hand, id.get(a1))) === 'raised',
      { message: 'the raised hand in meeting one' },
    );

    for (const [mine, other] of [
      [[a1, b1], [a2, b2]],
      [[a2, b2], [a1, b1]],
    ]) {
      const foreignIds = other.map((b) => id.get(b));
      for (const b of mine) {
        const stats = await inbound(b);
        assert.ok(stats.every((s) => !foreignIds.includes(s.participant_id)), `${b.label} has no track of the other meeting`);
        assert.equal(stats.filter((s) => s.kind === 'video').length, 1, `${b.label} receives exactly one video`);
        const people = await b.evaluate(() => [...document.querySelectorAll('.person')].map((e) => e.dataset.participantId));
        assert.equal(people.length, 2, `${b.label} lists only its own meeting`);
        assert.ok(people.every((p) => !foreignIds.includes(p)));
        const texts = await chatTexts(b);
        const foreignText = b === a1 || b === b1 ? 'only for meeting two' : 'only for meeting one';
        assert.ok(!texts.includes(foreignText), `${b.label} has no chat of the other meeting`);
        const remoteTiles = await b.evaluate(() => [...document.querySelectorAll('[data-tile-key]')].map((e) => e.dataset.participantId));
        assert.ok(remoteTiles.every((p) => !foreignIds.includes(p)));
      }
    }
  }),
);
