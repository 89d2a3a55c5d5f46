// (r) Notifications and keyboard shortcuts: joins, chat and raised hands become notices in
// the live region; chat arriving while the chat is closed counts as unread on the chat
// button; M, V and H toggle microphone, camera and hand, but not while typing in the chat;
// `?` opens the list of shortcuts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinAsGuest, personState, scenario, selfId, sendChat, waitFor } from './harness.mjs';

/** The notices currently shown, and whether they sit in a polite live region. */
function notices(browser) {
  return browser.evaluate(() =>
    [...document.querySelectorAll('.toast')].map((e) => ({ text: e.textContent, live: e.closest('[aria-live="polite"]') !== null })),
  );
}

async function expectNotice(browser, text) {
  const found = await waitFor(async () => (await notices(browser)).find((n) => n.text === text), {
    message: `${browser.label} to show "${text}"`,
  });
  assert.ok(found.live, `"${text}" is announced by a live region`);
}

function unread(browser) {
  return browser.evaluate(() => Number(document.querySelector('[data-unread]')?.getAttribute('data-unread') ?? 0));
}

test('notices, unread chat and keyboard shortcuts', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const ann = await chromium('Ann');
    // A narrow window starts with the chat closed.
    const ben = await chromium('Ben', { viewport: { width: 800, height: 760 } });
    await joinAsGuest(ann, server.inviteUrl, 'Ann');
    await joinAsGuest(ben, server.inviteUrl, 'Ben');
    const benId = await selfId(ben);
    await expectNotice(ann, 'Ben joined');

    // Chat while Ben's chat is closed: a notice and an unread count, cleared by opening it.
    await sendChat(ann, 'hello Ben');
    await expectNotice(ben, 'Ann: hello Ben');
    await waitFor(async () => (await unread(ben)) === 1, { message: 'one unread message' });
    await sendChat(ann, 'are you there?');
    await waitFor(async () => (await unread(ben)) === 2, { message: 'two unread messages' });
    const chatButton = ben.page.getByRole('button', { name: 'Chat', exact: true });
    assert.equal(await chatButton.getAttribute('aria-describedby'), 'chat-unread');
    assert.equal((await ben.page.locator('#chat-unread').textContent()).includes('2 unread'), true);
    await chatButton.click();
    await waitFor(async () => (await unread(ben)) === 0, { message: 'unread cleared once the chat is open' });

    // Typing "mvh" in the chat toggles nothing.
    const input = ben.page.getByRole('textbox', { name: 'Message', exact: true });
    await input.click();
    await ben.page.keyboard.type('mvh?');
    assert.equal(await input.inputValue(), 'mvh?');
    await ben.page.getByRole('button', { name: 'Mute microphone', exact: true }).waitFor();
    await ben.page.getByRole('button', { name: 'Turn camera off', exact: true }).waitFor();
    assert.equal((await personState(ann, benId)).hand, 'down');
    assert.equal(await ben.page.locator('dialog[open]').count(), 0);

    // Outside a text field the keys act, and everyone sees the effect.
    await ben.evaluate(() => document.activeElement?.blur());
    await ben.page.keyboard.press('m');
    await waitFor(async () => (await personState(ann, benId))?.mic === 'off', { message: 'M mutes' });
    await ben.page.getByRole('button', { name: 'Unmute microphone', exact: true }).waitFor();
    await ben.page.keyboard.press('v');
    await ben.page.getByRole('button', { name: 'Turn camera on', exact: true }).waitFor();
    await ben.page.keyboard.press('h');
    await waitFor(async () => (await personState(ann, benId))?.hand === 'raised', { message: 'H raises the hand' });
    await expectNotice(ann, 'Ben raised their hand');
    await ben.page.keyboard.press('m');
    await waitFor(async () => (await personState(ann, benId))?.mic === 'on', { message: 'M unmutes' });

    // ? documents the shortcuts.
    await ben.page.keyboard.press('Shift+?');
    const dialog = ben.page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    const rows = await dialog.locator('.shortcut-row').allTextContents();
    assert.deepEqual(rows, ['MMicrophone on or off', 'VCamera on or off', 'HRaise or lower your hand', '?Show this list']);
    // While the dialog is open, keys do not act behind it.
    await ben.page.keyboard.press('h');
    assert.equal((await personState(ann, benId)).hand, 'raised');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await waitFor(async () => (await ben.page.locator('dialog[open]').count()) === 0, { message: 'the dialog to close' });
  }),
);
