/**
 * loadConfig (SPEC §8 config): flags over environment over a file over
 * config/default.json; a bad value names its key; the result is frozen.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/shared/errors.js';
import { tempDir } from '../helpers/agents.js';

function configFile(content: unknown): string {
  const file = join(tempDir(), 'jobtree.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

function keyOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).key;
  }
  throw new Error('expected a ConfigError');
}

describe('config.loadConfig', () => {
  it('takes config/default.json when nothing else is given', () => {
    const c = loadConfig({ env: {} });
    expect(c.port).to.equal(7070);
    expect(c.redis.prefix).to.equal('jobtree');
    expect(c.concurrency).to.equal(cpus().length);
    expect(c.node).to.match(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
  });

  it('lets flags win over environment, environment over the file, the file over defaults', () => {
    const file = configFile({
      port: 7001,
      node: 'from-file',
      concurrency: 3,
      shell: { killGraceMs: 100 },
    });
    const c = loadConfig({
      file,
      env: { JOBTREE_PORT: '7002', JOBTREE_NODE: 'from-env' },
      flags: { port: '7003', node: undefined },
    });
    expect(c.port).to.equal(7003);
    expect(c.node).to.equal('from-env');
    expect(c.concurrency).to.equal(3);
    expect(c.shell).to.deep.equal({ enabled: true, killGraceMs: 100 });
  });

  it('reads booleans and numbers from the environment', () => {
    const c = loadConfig({
      env: { JOBTREE_SHELL_ENABLED: 'false', JOBTREE_HEARTBEAT_TTL_MS: '3000' },
    });
    expect(c.shell.enabled).to.equal(false);
    expect(c.heartbeat.ttlMs).to.equal(3000);
  });

  it('names the key of a bad or unknown value', () => {
    expect(keyOf(() => loadConfig({ env: { JOBTREE_PORT: 'eighty' } }))).to.equal('port');
    expect(keyOf(() => loadConfig({ env: { JOBTREE_REDIS_URL: 'http://x' } }))).to.equal(
      'redis.url',
    );
    expect(keyOf(() => loadConfig({ file: configFile({ heartbeat: { beat: 1 } }) }))).to.equal(
      'heartbeat.beat',
    );
    expect(keyOf(() => loadConfig({ env: { JOBTREE_TOKEN: 'short' } }))).to.equal('auth.token');
    expect(keyOf(() => loadConfig({ file: '/nonexistent/jobtree.json' }))).to.equal('--config');
  });

  it('reads Redis Sentinels as host:port or {host, port}, with the master name (§17)', () => {
    const c = loadConfig({
      env: { JOBTREE_REDIS_SENTINELS: 's1:26379,[::1]:26380', JOBTREE_REDIS_NAME: 'main' },
    });
    expect(c.redis.sentinels).to.deep.equal([
      { host: 's1', port: 26379 },
      { host: '::1', port: 26380 },
    ]);
    expect(c.redis.name).to.equal('main');
    const file = configFile({ redis: { sentinels: [{ host: 's2', port: 1 }], name: 'x' } });
    expect(loadConfig({ file, env: {} }).redis.sentinels).to.deep.equal([{ host: 's2', port: 1 }]);
  });

  it('refuses a Sentinel setup that cannot work, naming the key (§17)', () => {
    const env = (e: Record<string, string>) => () => loadConfig({ env: e });
    expect(keyOf(env({ JOBTREE_REDIS_SENTINELS: 's1:26379' }))).to.equal('redis.name');
    expect(keyOf(env({ JOBTREE_REDIS_NAME: 'main' }))).to.equal('redis.name');
    expect(
      keyOf(
        env({
          JOBTREE_REDIS_SENTINELS: 's1:26379',
          JOBTREE_REDIS_NAME: 'main',
          JOBTREE_REDIS_URL: 'redis://h:6379',
        }),
      ),
    ).to.equal('redis.sentinels');
    expect(
      keyOf(env({ JOBTREE_REDIS_SENTINELS: 's1:26379,s2:99999', JOBTREE_REDIS_NAME: 'main' })),
    ).to.equal('redis.sentinels[1]');
    expect(keyOf(env({ JOBTREE_REDIS_SENTINELS: 's1', JOBTREE_REDIS_NAME: 'main' }))).to.match(
      /^redis\.sentinels/,
    );
  });

  it('reads a Redis Cluster as a list of URLs, alone (§17)', () => {
    const c = loadConfig({
      env: { JOBTREE_REDIS_CLUSTER: 'redis://a:7000,rediss://b:7001' },
    });
    expect(c.redis.cluster).to.deep.equal(['redis://a:7000', 'rediss://b:7001']);
    const both = { JOBTREE_REDIS_CLUSTER: 'redis://a:7000', JOBTREE_REDIS_URL: 'redis://h:6379' };
    expect(keyOf(() => loadConfig({ env: both }))).to.equal('redis.cluster');
    expect(keyOf(() => loadConfig({ env: { JOBTREE_REDIS_CLUSTER: 'a:7000' } }))).to.match(
      /^redis\.cluster/,
    );
  });

  it('returns a deeply frozen object', () => {
    const c = loadConfig({ env: {} });
    expect(Object.isFrozen(c)).to.equal(true);
    expect(Object.isFrozen(c.redis)).to.equal(true);
  });
});
