/**
 * SPEC §2 and §9 with real processes: an agent killed with SIGKILL and
 * restarted on the same data dir takes its node name back at once, settles
 * the jobs it was running (AGENT_RESTARTED) and starts its ready work; an
 * agent with the same name but another data dir is refused.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { chmodSync, readdirSync } from 'node:fs';
import { spawnAgent, tempDir } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';

describe('e2e: crash and restart', function () {
  this.timeout(60000);

  it('takes its name back after kill -9, settles its running jobs and runs its queued work', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    const log = await collectEvents(store);
    const dataDir = tempDir();
    const env = { JOBTREE_CONCURRENCY: '1' };
    const first = await spawnAgent({ node: 'k', redisUrl: testRedisUrl(), prefix, dataDir, env });
    const t1 = (
      await http(first.url, 'POST', '/api/v1/trees', {
        job: { title: 'long', type: 'sleep', params: { ms: 60000 } },
      })
    ).body.root;
    await log.until((e) => e.job === t1 && e.state === 'RUNNING');
    const t2 = (
      await http(first.url, 'POST', '/api/v1/trees', { job: { title: 'next', type: 'noop' } })
    ).body.root;
    expect((await store.getJob(t2)).state).to.equal('QUEUED'); // the only slot is busy
    await first.kill9();
    const killedAt = Date.now();
    expect(await store.nodeOwner('k')).not.to.equal(null); // its heartbeat key outlives it

    await spawnAgent({ node: 'k', redisUrl: testRedisUrl(), prefix, dataDir, env });
    const failed = await log.until((e) => e.job === t1 && e.state === 'FAILED');
    expect((await store.getJob(t1)).error?.code).to.equal('AGENT_RESTARTED');
    const done = await log.until((e) => e.job === t2 && e.state === 'SUCCESS');
    // both before the dead run's 10 s heartbeat TTL could have expired: taken over, not waited out
    expect(failed.at - killedAt).to.be.below(10000);
    expect(done.at - killedAt).to.be.below(10000);
  });

  it('refuses a second agent on a data dir in use, whatever its node name', async () => {
    const prefix = `jt-${randomUUID()}`;
    const dataDir = tempDir();
    const first = await spawnAgent({ node: 'one', redisUrl: testRedisUrl(), prefix, dataDir });
    const err = await spawnAgent({ node: 'two', redisUrl: testRedisUrl(), prefix, dataDir }).catch(
      (e: Error) => e,
    );
    expect((err as Error).message).to.match(
      new RegExp(
        `data dir ${dataDir} is in use by a running agent \\(pid ${first.child.pid}, node "one"\\)`,
      ),
    );
  });

  it('says plainly that a data dir it cannot write belongs to another user, and starts nothing', async () => {
    const prefix = `jt-${randomUUID()}`;
    const dataDir = tempDir();
    // as root: run the agent as nobody on root's 0700 dir; otherwise: a dir this user made read-only
    const asRoot = process.getuid?.() === 0;
    chmodSync(dataDir, asRoot ? 0o700 : 0o500);
    const err = await spawnAgent({
      node: 'x',
      redisUrl: testRedisUrl(),
      prefix,
      dataDir,
      ...(asRoot ? { uid: 65534 } : {}),
    }).catch((e: Error) => e);
    expect((err as Error).message).to.match(
      new RegExp(
        `config dataDir: ${dataDir} is not writable by this user \\(uid ${asRoot ? 65534 : process.getuid?.()}\\)`,
      ),
    );
    expect(readdirSync(dataDir)).to.deep.equal([]);
  });

  it('refuses to start a second live agent with the same name and another data dir (§2)', async () => {
    const prefix = `jt-${randomUUID()}`;
    await spawnAgent({ node: 'same', redisUrl: testRedisUrl(), prefix });
    const second = spawnAgent({ node: 'same', redisUrl: testRedisUrl(), prefix }).catch(
      (e: Error) => e,
    );
    const err = await second;
    expect(err).to.be.instanceOf(Error);
    expect((err as Error).message).to.match(/node name "same" is held by another live agent/);
  });
});
