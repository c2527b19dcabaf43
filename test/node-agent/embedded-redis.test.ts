/**
 * The embedded Redis default of SPEC §8: used when nothing answers on the
 * default port, reused by the next run, and a clear message without
 * redis-server. SPEC §18: it needs its password, kept 0600 in a 0700
 * directory and never on its command line.
 */
import { expect } from 'chai';
import { readFileSync, statSync } from 'node:fs';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import { pino } from 'pino';
import { redisAnswers, resolveRedis } from '../../src/daemon/embedded-redis.js';
import { ConfigError } from '../../src/shared/errors.js';
import { tempDir } from '../helpers/agents.js';
import { freePort, startRedis, destroyRedis } from '../helpers/redis.js';
import { track } from '../helpers/track.js';

const quiet = pino({ level: 'silent' });

describe('node-agent.resolveRedis', function () {
  this.timeout(20000);

  it('uses a configured URL as it is, and a Redis answering on the default port', async () => {
    expect(await resolveRedis('redis://example:1', true, tempDir(), quiet)).to.deep.equal({
      url: 'redis://example:1',
      embedded: false,
    });
    const r = await startRedis();
    track(r, destroyRedis);
    const got = await resolveRedis(null, true, tempDir(), quiet, { port: r.port });
    expect(got).to.deep.equal({ url: `redis://127.0.0.1:${r.port}`, embedded: false });
  });

  it('starts a private redis-server under the data dir when none answers, and reuses it', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const first = await resolveRedis(null, true, dataDir, quiet, { port });
    const pid = Number(readFileSync(join(dataDir, 'redis', 'redis.pid'), 'utf8'));
    track(pid, (p) => {
      process.kill(p, 'SIGTERM');
    });
    expect(first.embedded).to.equal(true);
    const embeddedPort = Number(new URL(first.url).port);
    expect(await redisAnswers('127.0.0.1', embeddedPort)).to.equal(true);
    const second = await resolveRedis(null, true, dataDir, quiet, { port });
    expect(second.url).to.equal(first.url);

    // SPEC §18: nothing gets in without the password, which only the agent's user can read
    const password = readFileSync(join(dataDir, 'redis', 'password'), 'utf8');
    expect(new URL(first.url).password).to.equal(password);
    expect(statSync(join(dataDir, 'redis')).mode & 0o777).to.equal(0o700);
    for (const f of ['password', 'redis.conf'])
      expect(statSync(join(dataDir, 'redis', f)).mode & 0o777, f).to.equal(0o600);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).to.not.include(password);
    const stranger = track(
      new Redis(`redis://127.0.0.1:${embeddedPort}`, {
        enableReadyCheck: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      }),
      (r) => r.disconnect(),
    );
    const refused = await stranger.get('anything').catch((e: Error) => e.message);
    expect(String(refused)).to.match(/NOAUTH/);
    const operator = track(new Redis(first.url), (r) => r.disconnect());
    expect(await operator.ping()).to.equal('PONG');
  });

  it('says how to get redis-server when there is none', async () => {
    const port = await freePort();
    const err = await resolveRedis(null, true, tempDir(), quiet, {
      port,
      path: '/nonexistent',
    }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/apt-get install redis-server/);
  });
});
