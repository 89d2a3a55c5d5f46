// (c) Chat: a message to everyone reaches both others; a private one only its addressee; a
// late joiner sees the public history but not the private message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chatTexts, joinAsGuest, scenario, sendChat, waitFor } from './harness.mjs';

test('chat to everyone, private chat, and history for late joiners', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const ada = await chromium('Ada');
    const bo = await chromium('Bo');
    const cy = await chromium('Cy');
    await joinAsGuest(ada, server.inviteUrl, 'Ada');
    await joinAsGuest(bo, server.inviteUrl, 'Bo');
    await joinAsGuest(cy, server.inviteUrl, 'Cy');
    // Everyone must see everyone before choosing recipients.
    await waitFor(async () => (await ada.evaluate(() => document.querySelectorAll('.person').length)) === 3, {
      message: 'Ada to see three participants',
    });

    await sendChat(ada, 'Hello everyone');
    for (const b of [ada, bo, cy]) {
      await waitFor(async () => (await chatTexts(b)).includes('Hello everyone'), { message: `${b.label} to get the public message` });
    }

    await sendChat(ada, 'Secret for Bo', 'Bo');
    await waitFor(async () => (await chatTexts(bo)).includes('Secret for Bo'), { message: 'Bo to get the private message' });
    // Messages from one sender arrive in order: once Cy has the next public message, the
    // private one would have arrived before it if it had been sent to Cy.
    await sendChat(ada, 'After the secret');
    await waitFor(async () => (await chatTexts(cy)).includes('After the secret'), { message: 'Cy to get the marker' });
    assert.ok(!(await chatTexts(cy)).includes('Secret for Bo'), 'Cy must not see the private message');
    assert.ok((await chatTexts(ada)).includes('Secret for Bo'), 'the sender sees its own private message');
    const privateAtBo = await bo.evaluate(
      () => [...document.querySelectorAll('.chat-msg')].find((e) => e.textContent.includes('Secret for Bo'))?.dataset.private,
    );
    assert.equal(privateAtBo, 'true', 'the private message is marked as private');

    // The late joiner uses the German interface (?lang=de): "Anzeigename", "Beitreten".
    const late = await chromium('Dee (late)');
    await joinAsGuest(late, server.inviteUrl, 'Dee', { lang: 'de' });
    await late.page.getByRole('button', { name: 'Mikrofon stummschalten', exact: true }).waitFor();
    const history = await waitFor(
      async () => {
        const texts = await chatTexts(late);
        return texts.includes('After the secret') ? texts : null;
      },
      { message: 'the late joiner to see the history' },
    );
    assert.ok(history.includes('Hello everyone'), 'history has the first public message');
    assert.ok(!history.includes('Secret for Bo'), 'history does not leak the private message');
  }),
);
