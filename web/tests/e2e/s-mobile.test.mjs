// (s) A phone: a participant on a 390×844 touch viewport (isMobile) joins from the lobby,
// sees the speaker large (speaker view is the phone's default) with video decoding, mutes,
// chats both ways and leaves; nothing needs horizontal scrolling, and axe finds no serious
// violation on the phone's meeting and chat.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chatTexts,
  closedReason,
  expectDecodingFrom,
  joinAsGuest,
  personState,
  scenario,
  selfId,
  seriousA11yViolations,
  tileBoxes,
  waitFor,
} from './harness.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

function overflowsSideways(browser) {
  return browser.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}

test('a participant on a phone joins, sees the speaker, mutes, chats and leaves', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const desk = await chromium('desk');
    const phone = await chromium('phone', PHONE);
    await joinAsGuest(desk, server.inviteUrl, 'Desk');
    await phone.goto(`${server.inviteUrl}?lang=en`);
    assert.equal(await overflowsSideways(phone), false, 'the lobby fits the phone');
    await phone.page.getByLabel('Display name', { exact: true }).fill('Phone');
    await phone.page.locator('form[data-lobby]').getByRole('button', { name: 'Join', exact: true }).tap();
    await waitFor(() => selfId(phone), { message: 'the phone to join' });
    const deskId = await selfId(desk);
    const phoneId = await selfId(phone);

    // The speaker fills the width; the self-view is small; the video decodes.
    await expectDecodingFrom(phone, [deskId]);
    const { stage, strip } = await waitFor(
      async () => {
        const boxes = await tileBoxes(phone);
        return boxes.stage.length === 1 && boxes.stage[0].participantId === deskId ? boxes : null;
      },
      { message: 'the desk participant large on the phone' },
    );
    assert.ok(stage[0].width >= 340, `speaker tile spans the phone (${stage[0].width} px)`);
    assert.ok(strip.some((t) => t.participantId === phoneId), 'self-view in the strip');
    assert.equal(await overflowsSideways(phone), false, 'the meeting fits the phone');
    assert.deepEqual(await seriousA11yViolations(phone), [], 'axe on the phone meeting');
    // The controls are all on screen.
    for (const name of ['Mute microphone', 'Chat', 'Leave']) {
      const box = await phone.page.getByRole('button', { name, exact: true }).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.y + box.height <= 844, `${name} on screen: ${JSON.stringify(box)}`);
    }

    await phone.page.getByRole('button', { name: 'Mute microphone', exact: true }).tap();
    await waitFor(async () => (await personState(desk, phoneId))?.mic === 'off', { message: 'the desk to see the phone muted' });

    await phone.page.getByRole('button', { name: 'Chat', exact: true }).tap();
    await phone.page.getByRole('textbox', { name: 'Message', exact: true }).fill('hello from the phone');
    await phone.page.getByRole('button', { name: 'Send', exact: true }).tap();
    await waitFor(async () => (await chatTexts(desk)).includes('hello from the phone'), { message: 'chat from the phone' });
    await desk.page.getByRole('textbox', { name: 'Message', exact: true }).fill('hello phone');
    await desk.page.getByRole('button', { name: 'Send', exact: true }).click();
    await waitFor(async () => (await chatTexts(phone)).includes('hello phone'), { message: 'chat to the phone' });
    assert.equal(await overflowsSideways(phone), false, 'the open chat fits the phone');
    assert.deepEqual(await seriousA11yViolations(phone), [], 'axe on the phone chat');

    await phone.page.getByRole('button', { name: 'Leave', exact: true }).tap();
    await waitFor(async () => (await closedReason(phone)) === 'left', { message: 'the phone to have left' });
    await waitFor(async () => (await personState(desk, phoneId)) === null, { message: 'the desk to see the phone leave' });
  }),
);
