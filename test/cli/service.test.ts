/**
 * `jobtree service install|uninstall|status` (SPEC §16): the unit passes
 * `systemd-analyze verify` with no warning and says KillMode=process, a
 * TimeoutStopSec above the grace times, Restart, ExecReload and
 * LimitNOFILE; `--dry-run` prints every file (a golden test); install is
 * idempotent and keeps an operator's edits; uninstall removes what install
 * wrote and never the data; without root it refuses, saying how.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir, BIN } from '../helpers/agents.js';
import { serviceFiles, stopTimeoutS, unitFile } from '../../src/cli/service-files.js';
import { loadConfig } from '../../src/config/load.js';

const options = {
  user: 'jobtree',
  configDir: '/etc/jobtree',
  dataDir: '/var/lib/jobtree',
  node: process.execPath,
  bin: BIN,
  graceMs: 10000,
  killGraceMs: 5000,
};

describe('cli: jobtree service', function () {
  this.timeout(30000);

  it('writes a unit that systemd-analyze verifies without a warning', () => {
    const dir = tempDir('jobtree-unit-');
    const unit = join(dir, 'jobtree.service');
    writeFileSync(unit, unitFile({ ...options, user: 'root' }));
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).to.equal(0);
    // a bad value is only a warning on stderr: there must be none about this unit
    expect(verify.stderr.split('\n').filter((l) => l.includes('jobtree.service'))).to.deep.equal(
      [],
    );
    const text = unitFile(options);
    for (const line of [
      'KillMode=process',
      'Restart=on-failure',
      'ExecReload=/bin/kill -HUP $MAINPID',
      'LimitNOFILE=65536',
      `ExecStart=${process.execPath} --v8-pool-size=1 ${BIN} agent --config /etc/jobtree`,
      'EnvironmentFile=-/etc/jobtree/jobtree.env',
    ])
      expect(text).to.include(`\n${line}\n`);
    expect(stopTimeoutS(options)).to.be.above((10000 + 5000) / 1000);
    expect(text).to.include(`TimeoutStopSec=${stopTimeoutS(options)}\n`);
  });

  it('--dry-run prints every file as "# <path>" then its content', async () => {
    const run = await runCli([
      'service',
      'install',
      '--dry-run',
      '--config-dir',
      '/nonexistent/jobtree',
    ]);
    expect(run.code, run.stderr).to.equal(0);
    const want = serviceFiles({ ...options, configDir: '/nonexistent/jobtree' })
      .map((f) => `# ${f.path}\n${f.content}\n`)
      .join('');
    expect(run.stdout).to.equal(want);
    expect(run.stdout.match(/^# \//gm)).to.have.length(4);
  });

  it('follows the grace times of the config it installs for', async () => {
    const root = tempDir('jobtree-root-');
    mkdirSync(join(root, 'etc/jobtree'), { recursive: true });
    writeFileSync(
      join(root, 'etc/jobtree/30-slow.json'),
      JSON.stringify({ shutdown: { graceMs: 120000 } }),
    );
    const run = await runCli(['service', 'install', '--root', root]);
    expect(run.code, run.stderr).to.equal(0);
    const unit = readFileSync(join(root, 'etc/systemd/system/jobtree.service'), 'utf8');
    expect(unit).to.include(
      `TimeoutStopSec=${stopTimeoutS({ graceMs: 120000, killGraceMs: 5000 })}\n`,
    );
  });

  it('installs a config that detaches on stop, so that a restart keeps running jobs (§16)', async () => {
    const root = tempDir('jobtree-root-');
    expect((await runCli(['service', 'install', '--root', root])).code).to.equal(0);
    const installed = loadConfig({ file: join(root, 'etc/jobtree') });
    expect(installed.shutdown.mode).to.equal('detach');
    expect(loadConfig({}).shutdown.mode).to.equal('drain'); // a terminal's Ctrl-C stops its jobs
  });

  it('installs idempotently, keeps an edited config, and uninstalls what it wrote but the data', async () => {
    const root = tempDir('jobtree-root-');
    expect((await runCli(['service', 'install', '--root', root])).code).to.equal(0);
    const config = join(root, 'etc/jobtree/10-node.json');
    const edited = JSON.stringify({ dataDir: '/var/lib/jobtree', node: 'web-1' });
    writeFileSync(config, edited);
    const again = await runCli(['service', 'install', '--root', root]);
    expect(again.stdout).to.include('kept /etc/jobtree/10-node.json (yours)');
    expect(readFileSync(config, 'utf8')).to.equal(edited);
    expect(existsSync(join(root, 'var/lib/jobtree'))).to.equal(true);
    expect(existsSync(join(root, 'etc/jobtree/definitions.d'))).to.equal(true);
    const status = await runCli(['service', 'status', '--root', root]);
    expect(status.stdout).to.include('unit /etc/systemd/system/jobtree.service: installed');
    const gone = await runCli(['service', 'uninstall', '--root', root]);
    expect(gone.stdout).to.include('removed /etc/systemd/system/jobtree.service');
    expect(gone.stdout).to.include('kept /etc/jobtree/10-node.json (edited)');
    expect(existsSync(join(root, 'etc/systemd/system/jobtree.service'))).to.equal(false);
    expect(existsSync(join(root, 'etc/jobtree/jobtree.env'))).to.equal(false);
    expect(existsSync(join(root, 'var/lib/jobtree'))).to.equal(true);
    expect((await runCli(['service', 'status', '--root', root])).code).to.equal(3);
  });

  it('refuses without root, saying how to run it', () => {
    const asRoot = process.getuid?.() === 0;
    const [cmd, args] = asRoot
      ? [
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            process.execPath,
            BIN,
            'service',
            'install',
          ],
        ]
      : [process.execPath, [BIN, 'service', 'install']];
    const run = spawnSync(cmd, args as string[], { encoding: 'utf8' });
    expect(run.status).to.equal(2);
    expect(run.stderr).to.include('run it as root (sudo npx jobtree service install)');
    expect(run.stderr).to.include('--dry-run');
  });
});
