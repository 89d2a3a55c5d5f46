// (y) A locked sign-in: the server answers like a wrong password (401) plus Retry-After,
// and the form says how long to wait, in whole minutes, in English and German.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rest, scenario, waitFor } from './harness.mjs';

async function failWithForm(browser, server, lang) {
  await browser.goto(`${server.url}/?lang=${lang}`);
  const labels = lang === 'de' ? ['Benutzername', 'Passwort', 'Anmelden'] : ['Username', 'Password', 'Sign in'];
  await browser.fillField(labels[0], server.adminUser);
  await browser.fillField(labels[1], 'not the password');
  await browser.clickButton(labels[2]);
  return waitFor(() => browser.evaluate(() => document.querySelector('form [role="alert"]')?.textContent ?? null), {
    message: 'the sign-in to be refused',
  });
}

test('a locked sign-in names the wait', { timeout: 120_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const browser = await chromium('user');
    assert.equal(await failWithForm(browser, server, 'en'), 'Sign-in failed: wrong username or password.');
    // Three more failures over REST; the fifth, in the form, locks the account (5 minutes)
    // and this source (15 minutes): the longer wait is the one to show.
    for (let i = 0; i < 3; i++) {
      const r = await rest(server, 'POST', '/auth/login', { body: { username: server.adminUser, password: 'nope' } });
      assert.equal(r.status, 401, r.text);
    }
    assert.equal(await failWithForm(browser, server, 'en'), 'Too many attempts. Try again in 15 minutes.');
    assert.equal(
      await failWithForm(browser, server, 'de'),
      'Zu viele Versuche. Bitte versuchen Sie es in 15 Minuten erneut.',
    );
  }),
);
