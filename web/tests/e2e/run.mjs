// Runs the browser end-to-end tests serially (2 cores; one browser process per
// participant). Builds what is missing first: the web client (web/dist) and, unless
// PLENUM_BIN names a binary, the server with `cargo build -p plenum-server`.
// Arguments narrow the run to files whose name contains one of them, e.g. `npm run e2e -- b- d-`.
//
// When run as root with `unshare` available, the tests run inside a private network
// namespace: loopback plus a veth pair (10.213.0.1/24 ↔ 10.213.0.2/24) that leads nowhere.
// Firefox ESR needs a non-loopback interface for ICE (see NETNS_IP in harness.mjs), and the
// namespace also guarantees that no test traffic can leave the machine.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_DIR, WEB_DIR } from './harness.mjs';

const NETNS_IP = '10.213.0.1';
const NETNS_SETUP = [
  'ip link set lo up',
  'ip link add pl0 type veth peer name pl1',
  `ip addr add ${NETNS_IP}/24 dev pl0`,
  'ip addr add 10.213.0.2/24 dev pl1',
  'ip link set pl0 up',
  'ip link set pl1 up',
  // Firefox considers itself offline, and gathers nothing, without a default route.
  'ip route add default via 10.213.0.2 dev pl0',
].join(' && ');

function run(cmd, args, cwd, env = process.env) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit', env });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function must(cmd, args, cwd) {
  const status = run(cmd, args, cwd);
  if (status !== 0) {
    console.error(`${cmd} ${args.join(' ')} failed`);
    process.exit(status);
  }
}

const inNamespace = process.env.PLENUM_E2E_NETNS_IP !== undefined;
if (!inNamespace) {
  if (!existsSync(join(WEB_DIR, 'dist/index.html'))) must('npm', ['run', 'build'], WEB_DIR);
  if (!process.env.PLENUM_BIN) {
    must('cargo', ['build', '-p', 'plenum-server'], REPO_DIR);
    process.env.PLENUM_BIN = join(REPO_DIR, 'target/debug/plenum');
  }
  // Probe the exact setup (root, unshare, iproute2, veth support) before relying on it.
  const canUnshare =
    process.getuid?.() === 0 &&
    spawnSync('unshare', ['-n', 'sh', '-c', NETNS_SETUP], { stdio: 'ignore' }).status === 0;
  if (canUnshare) {
    const self = fileURLToPath(import.meta.url);
    const status = run(
      'unshare',
      ['-n', 'sh', '-c', `${NETNS_SETUP} && exec "$0" "$@"`, process.execPath, self, ...process.argv.slice(2)],
      WEB_DIR,
      { ...process.env, PLENUM_E2E_NETNS_IP: NETNS_IP },
    );
    process.exit(status);
  }
  console.warn('note: not root or no unshare: running without a private network namespace (the Firefox test will fail)');
}

const dir = join(WEB_DIR, 'tests/e2e');
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .map((f) => join(dir, f));

process.exit(run(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], WEB_DIR));
