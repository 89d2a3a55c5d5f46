// (v) Branding at runtime: with [branding] configured (environment variables here), the
// sign-in page shows the product name, the logo (served by Plenum), the primary colour
// (computed style) and the login text in the page's language; without branding the shipped
// look stays and nothing fails to load.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { scenario, waitFor } from './harness.mjs';

const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20" width="40" height="20"><rect width="40" height="20" fill="#004b87"/></svg>\n';

/**
 * What the sign-in page shows of the brand, and every response at or above 400 (except
 * the session restore, which answers 401 before anyone has signed in).
 */
async function look(browser, url, brand) {
  const failed = [];
  browser.page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/api/v1/auth/refresh')) failed.push(`${r.status()} ${r.url()}`);
  });
  browser.page.on('requestfailed', (r) => failed.push(`failed ${r.url()}`));
  await browser.goto(url);
  await browser.page.getByRole('button', { name: /^(Sign in|Anmelden)$/ }).waitFor();
  const seen = await waitFor(
    () =>
      browser.evaluate((expected) => {
        const shown = document.querySelector('.brand-name')?.textContent ?? null;
        const logo = document.querySelector('img.brand-logo');
        // The config arrives after the first paint; wait for the expected name.
        if (shown !== expected || (logo && !logo.complete)) return null;
        return {
          brand: shown,
          title: document.title,
          logo: logo ? { src: logo.getAttribute('src'), width: logo.naturalWidth, alt: logo.getAttribute('alt') } : null,
          loginText: document.querySelector('.login-text')?.textContent ?? null,
          button: getComputedStyle(document.querySelector('.btn-primary')).backgroundColor,
          accent: getComputedStyle(document.documentElement).getPropertyValue('--accent').trim(),
        };
      }, brand),
    { message: `the sign-in page with the brand ${brand}` },
  );
  return { ...seen, failed };
}

test('a configured brand shows at runtime', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'plenum-brand-'));
  const logoFile = join(dir, 'logo.svg');
  writeFileSync(logoFile, LOGO);
  return scenario(
    async ({ server, chromium }) => {
      const en = await chromium('branded en');
      const seen = await look(en, `${server.url}/?lang=en`, 'Rathaus Konferenz');
      assert.equal(seen.title, 'Rathaus Konferenz');
      assert.deepEqual(seen.logo, { src: '/branding/logo', width: 40, alt: '' });
      assert.equal(seen.loginText, 'Please sign in with your city account.');
      assert.equal(seen.button, 'rgb(0, 75, 135)', 'the primary button takes the configured colour');
      assert.equal(seen.accent, '#004b87');
      assert.deepEqual(seen.failed, []);

      const de = await chromium('branded de');
      const seenDe = await look(de, `${server.url}/?lang=de`, 'Rathaus Konferenz');
      assert.equal(seenDe.loginText, 'Bitte melden Sie sich mit Ihrem Stadtkonto an.');
      assert.deepEqual(seenDe.failed, []);
    },
    {
      env: {
        PLENUM_BRANDING__PRODUCT_NAME: 'Rathaus Konferenz',
        PLENUM_BRANDING__LOGO_FILE: logoFile,
        PLENUM_BRANDING__COLOR_PRIMARY: '#004b87',
        PLENUM_BRANDING__LOGIN_TEXT_EN: 'Please sign in with your city account.',
        PLENUM_BRANDING__LOGIN_TEXT_DE: 'Bitte melden Sie sich mit Ihrem Stadtkonto an.',
      },
    },
  );
});

test('without branding the shipped look stays and nothing breaks', { timeout: 120_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const browser = await chromium('plain');
    const seen = await look(browser, `${server.url}/?lang=en`, 'Plenum');
    assert.equal(seen.logo, null);
    assert.equal(seen.loginText, null);
    assert.equal(seen.button, 'rgb(47, 111, 94)', 'the theme accent');
    assert.deepEqual(seen.failed, []);
  }),
);
