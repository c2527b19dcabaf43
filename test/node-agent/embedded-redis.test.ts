/**
 * The embedded Redis default of SPEC §8: used when nothing answers on the
 * default port, reused by the next run, and a clear message without
 * redis-server.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { redisAnswers, resolveRedis } from '../../src/node-agent/embedded-redis.js';
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
