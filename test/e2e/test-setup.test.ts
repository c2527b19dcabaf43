/**
 * The README's test command sets itself up (issue 12): on a machine that
 * lacks a package the tests need, scripts/ensure-test-deps.sh (run by
 * `npm test` and by .ci/run) stops at once without root and prints the one
 * command that installs it; with everything present it says nothing.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/ensure-test-deps.sh', import.meta.url));

/** Runs the script as an unprivileged user (when the tests run as root, as CI does). */
function runUnprivileged(env: Record<string, string>) {
  const asRoot = process.getuid?.() === 0;
  const [cmd, args] = asRoot
    ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', SCRIPT]]
    : ['bash', [SCRIPT]];
  return spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('npm test: its own set-up', () => {
  it('says nothing and goes on when redis-server and chromium are there', () => {
    const run = runUnprivileged({});
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout + run.stderr).to.equal('');
  });

  it('stops at once without root, naming the exact command that installs what is missing', () => {
    const run = runUnprivileged({ CHROMIUM_PATH: '/nonexistent/chromium' });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.include('npm test needs chromium');
    expect(run.stderr).to.include(
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium',
    );
  });
});
