/**
 * The store behind Redis Sentinel (SPEC §17), on a real group (a master,
 * two replicas, a sentinel): a write counts only once every healthy replica
 * has it, a master name no sentinel knows is a config error, sentinels
 * that do not answer are an outage to wait for.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { ConfigError, UnavailableError } from '../../src/shared/errors.js';
import type { RedisTarget } from '../../src/store/redis-target.js';
import { healthyReplicas } from '../../src/store/replica-watch.js';
import { checkSentinels } from '../../src/store/sentinel-check.js';
import { freePort } from '../helpers/redis.js';
import { startSentinelGroup, type SentinelGroup } from '../helpers/sentinel.js';
import { makeStore, submit } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

describe('store: behind Redis Sentinel (§17)', function () {
  this.timeout(60000);
  let group: SentinelGroup;
  let target: RedisTarget;

  before(async () => {
    group = await startSentinelGroup();
    target = {
      kind: 'sentinel',
      sentinels: [{ host: '127.0.0.1', port: group.sentinelPort }],
      name: group.name,
    };
  });
  after(() => group.destroy());

  it('answers a write a replica did not confirm as Redis unavailable (a failover would lose it)', async () => {
    const store = makeStore(target);
    await submit(store, { job: { title: 'warm', type: 'noop' } }); // the watch knows both replicas
    const stuck = new Redis((group.replicas[0] as { port: number }).port);
    await stuck.ping(); // connected: the sleep is sent at once, before the submit's writes
    const sleeping = stuck.call('DEBUG', 'SLEEP', '2.5');
    const err = await submit(store, { job: { title: 'r', type: 'noop' } }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UnavailableError);
    expect((err as Error & { cause: Error }).cause.message).to.match(/^NOREPLICAS/);
    await sleeping;
    stuck.disconnect();
    await submit(store, { job: { title: 'after', type: 'noop' } }); // confirmed again
  });

  it('refuses a master name no sentinel knows, naming redis.name; waits when none answers', async () => {
    expect(await checkSentinels(target as Extract<RedisTarget, { kind: 'sentinel' }>)).to.equal(
      true,
    );
    const unknown = { ...target, name: 'no-such-master' } as Extract<
      RedisTarget,
      { kind: 'sentinel' }
    >;
    const err = await checkSentinels(unknown).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).key).to.equal('redis.name');
    expect((err as Error).message).to.include('no-such-master');
    const silent = { ...unknown, sentinels: [{ host: '127.0.0.1', port: await freePort() }] };
    expect(await checkSentinels(silent)).to.equal(false);
  });

  it('counts the replicas a SENTINEL REPLICAS answer holds healthy', () => {
    const replica = (flags: string, link: string) => ['flags', flags, 'master-link-status', link];
    expect(
      healthyReplicas([
        replica('slave', 'ok'),
        replica('s_down,slave', 'ok'),
        replica('slave', 'err'),
        replica('slave,disconnected', 'ok'),
        replica('slave', 'ok'),
      ]),
    ).to.equal(2);
    expect(healthyReplicas(null)).to.equal(0);
  });
  // last: it moves the master for good
  it('a failover during a big submission: stored whole or refused unseen; Pub/Sub moves at once', async () => {
    await group.inSync(); // a replica an earlier case stalled is held healthy again
    const store = makeStore(target);
    // ~160 staged chunks, a second or two: the promotion comes in the middle of them
    const children = Array.from({ length: 40_000 }, (_, i) => ({ title: `j${i}`, type: 'noop' }));
    const heard: string[] = [];
    const sub = store.subscribe(['probe'], (_c, m) => heard.push(m));
    await sub.ready;
    // held open 3 s: the subscriber must move before the sentinels announce the new master
    const failingOver = group.failover({ holdMs: 3000 });
    // its outcome is taken at once: a refusal is an answer here, not an unhandled rejection
    const submitting = submit(store, {
      job: { title: 'big', type: 'noop', node: 'n1', children },
    }).then(
      (plan) => ({ plan, err: undefined }),
      (err: unknown) => ({ plan: undefined, err }),
    );
    await failingOver;
    // Pub/Sub follows the sentinels at once, not at +switch-master: their failover is
    // still under way (it ends once the other replica follows the new master)
    const probe = new Redis(await group.masterPort());
    await waitFor(
      async () => {
        await probe.publish('probe', 'x');
        return heard.length > 0;
      },
      { intervalMs: 50, what: 'the subscriber on the new master' },
    );
    expect(await group.failingOver()).to.equal(true);
    probe.disconnect();
    await sub.close();
    const outcome = await submitting;
    if (outcome.plan) {
      // accepted: a commit before the failover is finished by whoever stores the rest
      const root = outcome.plan.root;
      while ((await store.continueStoring(Date.now() + 3_600_000, 0)) > 0);
      expect(await store.treeTotal(root)).to.equal(40_001);
      expect(await store.queueDepth('n1')).to.equal(40_000);
    } else {
      // refused: a clear outage, and no tree anybody can see
      expect(outcome.err).to.be.instanceOf(UnavailableError);
      expect((await store.listTrees({ tags: [], limit: 10 })).trees).to.deep.equal([]);
    }
  });
});
