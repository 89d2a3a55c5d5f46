// Runs the browser end-to-end tests serially (2 cores; one browser process per
// participant). Builds what is missing first: the web client (web/dist) and, unless
// PLENUM_BIN names a binary, the server with `cargo build -p plenum-server`.
// Arguments narrow the run to files whose name contains one of them, e.g. `npm run e2e -- b- d-`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_DIR, WEB_DIR } from './harness.mjs';

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${cmd} ${args.join(' ')} failed`);
    process.exit(r.status ?? 1);
  }
}

if (!existsSync(join(WEB_DIR, 'dist/index.html'))) run('npm', ['run', 'build'], WEB_DIR);
if (!process.env.PLENUM_BIN) run('cargo', ['build', '-p', 'plenum-server'], REPO_DIR);

const dir = join(WEB_DIR, 'tests/e2e');
const filters = process.argv.slice(2);
// Firefox last: it is the slowest to start and the most likely to need attention.
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort((a, b) => (a.startsWith('h-') ? 1 : 0) - (b.startsWith('h-') ? 1 : 0) || a.localeCompare(b))
  .map((f) => join(dir, f));

const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  cwd: WEB_DIR,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
