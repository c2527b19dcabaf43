/**
 * `--config DIR` (SPEC §16): every `*.json` of the directory in name order,
 * later files over earlier ones, then the environment and flags; a bad
 * file is refused naming the file and the key.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/shared/errors.js';
import { runCli, tempDir } from '../helpers/agents.js';

function configDir(files: Record<string, unknown>): string {
  const dir = tempDir('jobtree-config-');
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config.loadConfig with a config directory', () => {
  it('merges *.json in name order, later over earlier, under env and flags', () => {
    const dir = configDir({
      '20-node.json': { port: 7200, heartbeat: { ttlMs: 20000 } },
      '10-cluster.json': { port: 7100, concurrency: 3, heartbeat: { intervalMs: 500 } },
      'README.txt': 'not read',
      '30-local.json.bak': '{ not read',
    });
    const c = loadConfig({ file: dir, env: { JOBTREE_CONCURRENCY: '5' }, flags: { port: 7300 } });
    expect(c.heartbeat).to.deep.equal({ intervalMs: 500, ttlMs: 20000 });
    expect(c.concurrency).to.equal(5);
    expect(c.port).to.equal(7300);
    expect(loadConfig({ file: dir, env: {} }).port).to.equal(7200);
  });

  it('names the file and the key of a bad value, and the file that is not JSON', () => {
    const dir = configDir({
      '10-cluster.json': { heartbeat: { ttlMs: 'soon' } },
      '20-ok.json': { port: 7000 },
    });
    const bad = refusal(() => loadConfig({ file: dir, env: {} }));
    expect(bad.key).to.equal('heartbeat.ttlMs');
    expect(bad.message).to.include(join(dir, '10-cluster.json'));
    const unknown = refusal(() =>
      loadConfig({ file: configDir({ '50-x.json': { colour: 'red' } }), env: {} }),
    );
    expect(unknown.message).to.match(/colour: unknown key \(in .*50-x\.json\)/);
    const notJson = configDir({ '10-a.json': '{ "port": ' });
    const broken = refusal(() => loadConfig({ file: notJson, env: {} }));
    expect(broken.key).to.equal(join(notJson, '10-a.json'));
    expect(broken.message).to.include('is not JSON');
  });

  it('stops `jobtree agent --config DIR` at start, naming the file and the key', async () => {
    const dir = configDir({ '10-cluster.json': { claim: { pollMs: 'often' } } });
    const run = await runCli(['agent', '--config', dir]);
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.include('claim.pollMs').and.include(join(dir, '10-cluster.json'));
  });
});
