// OIDC sign-in through a real provider: the npm `oidc-provider` of tests/fixtures/oidc
// (its own login form, a `groups` claim) started next to the server. A user in a mapped
// group lands in Plenum with that role and may create meetings; after the provider
// rotates its signing key (mid-test, no restart of Plenum), a user in no mapped group
// signs in too and gets no rights.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { REPO_DIR, freeTcpPort, scenario, waitFor } from './harness.mjs';

const FIXTURE = join(REPO_DIR, 'tests/fixtures/oidc');
const CLIENT_SECRET = 'e2e-client-secret-0123456789';

/** Starts the test provider for a Plenum at `plenum`; resolves with its issuer URL. */
async function startProvider(plenum) {
  if (!existsSync(join(FIXTURE, 'node_modules/.package-lock.json'))) {
    const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: FIXTURE, stdio: 'inherit' });
    assert.equal(install.status, 0, 'npm ci in tests/fixtures/oidc');
  }
  const child = spawn(
    process.execPath,
    [
      'server.mjs',
      '--client-id', 'plenum',
      '--client-secret', CLIENT_SECRET,
      '--redirect-uri', `${plenum}/api/v1/auth/oidc/corp/callback`,
      '--post-logout-uri', `${plenum}/`,
      '--backchannel-uri', `${plenum}/api/v1/auth/oidc/corp/backchannel-logout`,
    ],
    { cwd: FIXTURE, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the provider exited (${code})`)));
    lines.once('line', (line) => resolve(JSON.parse(line)));
  });
  return { issuer: ready.issuer, stop: () => child.kill('SIGTERM') };
}

/** Signs in through the provider's form; returns the session the web client picked up. */
async function signIn(browser, server, issuer, user, password) {
  const page = browser.page;
  await browser.goto(server.url);
  await page.getByRole('link', { name: 'Sign in with Corp IdP', exact: true }).click();
  await page.waitForURL((url) => url.href.startsWith(issuer));
  await page.getByLabel('Username', { exact: true }).fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  const session = page.waitForResponse(
    (r) => r.url() === `${server.url}/api/v1/auth/refresh` && r.status() === 200,
  );
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const body = await (await session).json();
  await page.waitForURL((url) => url.href.startsWith(server.url));
  await waitFor(
    () => browser.evaluate(() => document.querySelector('input[name="password"]') === null),
    { message: `${user} to be signed in` },
  );
  return body;
}

/** Creates a meeting with the page's own access token; returns the HTTP status. */
function createMeetingStatus(browser, token) {
  return browser.evaluate(
    (bearer) =>
      fetch('/api/v1/meetings', {
        method: 'POST',
        headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: 'From OIDC' }),
      }).then((r) => r.status),
    token,
  );
}

test('OIDC sign-in maps groups to roles and survives a key rotation', { timeout: 180_000 }, async () => {
  const httpPort = await freeTcpPort();
  const plenum = `http://127.0.0.1:${httpPort}`;
  const provider = await startProvider(plenum);
  const dir = mkdtempSync(join(tmpdir(), 'plenum-oidc-e2e-'));
  const config = join(dir, 'plenum.toml');
  writeFileSync(
    config,
    `[[oidc.providers]]
id = "corp"
display_name = "Corp IdP"
issuer = "${provider.issuer}"
client_id = "plenum"
client_secret = "${CLIENT_SECRET}"
scopes = ["openid", "profile", "email", "groups"]
roles = [{ group = "plenum-users", role = "user" }]
`,
  );
  try {
    await scenario(
      async ({ server, chromium }) => {
        const alice = await chromium('alice');
        const session = await signIn(alice, server, provider.issuer, 'alice', 'alice-oidc-pw');
        assert.equal(session.user.role, 'user');
        assert.equal(session.user.display_name, 'Alice Example');
        assert.equal(await createMeetingStatus(alice, session.access_token), 201);

        const rotated = await fetch(`${provider.issuer}/admin/rotate-keys`, { method: 'POST' });
        assert.equal(rotated.status, 200);

        const dave = await chromium('dave');
        const daves = await signIn(dave, server, provider.issuer, 'dave', 'dave-oidc-pw');
        assert.equal(daves.user.role, 'none');
        assert.equal(await createMeetingStatus(dave, daves.access_token), 403);
      },
      { httpPort, args: ['--config', config] },
    );
  } finally {
    provider.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
