/**
 * store.submitTree (SPEC §3 atomic submission, §4 rules 1 and 8).
 */
import { expect } from 'chai';
import { ConflictError } from '../../src/shared/errors.js';
import { collectEvents } from '../helpers/events.js';
import { fixture } from '../helpers/fixtures.js';
import { makeStore, submit } from '../helpers/store.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { Redis } from 'ioredis';
import { track } from '../helpers/track.js';

describe('store.submitTree', () => {
  it('stores every job with leaves QUEUED and parents WAITING (§4.1)', async () => {
    const store = makeStore();
    const plan = await submit(store, fixture('two-level'), 'api-1');
    const tree = await store.getTree(plan.root);
    expect(tree.state).to.equal('RUNNING');
    expect(tree.tags).to.deep.equal({ workspace: 'acme', application: 'shop', version: '42' });
    expect(tree.job.state).to.equal('WAITING');
    expect(tree.job.children.map((c) => [c.title, c.state, c.node])).to.deep.equal([
      ['Build', 'WAITING', 'builder-1'],
      ['Warm cache', 'QUEUED', 'api-1'],
    ]);
    expect(tree.job.children[0]?.children[0]?.state).to.equal('QUEUED');
    expect(await store.queueDepth('builder-1')).to.equal(1);
    expect(await store.queueDepth('api-1')).to.equal(1);
  });

  it('writes nothing when the root exists already (atomic)', async () => {
    const store = makeStore();
    const plan = await submit(store, fixture('two-level'));
    const redis = track(new Redis(testRedisUrl()), (r) => r.disconnect());
    const before = (await redis.keys(`${store.prefix}:*`)).sort();
    const again = plan.jobs.map((j) => ({ ...j, title: 'changed' }));
    const err = await store
      .submitTree({
        root: plan.root,
        title: 'x',
        node: 'n1',
        tags: { other: 'tag' },
        context: {},
        jobs: again,
        at: 1,
      })
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConflictError);
    expect((await redis.keys(`${store.prefix}:*`)).sort()).to.deep.equal(before);
    expect((await store.getJob(plan.root)).title).to.equal('Deploy shop v42');
  });

  it('publishes one event per new job with rising seq (§4.8)', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    const plan = await submit(store, fixture('two-level'));
    await log.until((e) => e.seq === 4);
    expect(log.events.map((e) => e.seq)).to.deep.equal([1, 2, 3, 4]);
    expect(log.events.every((e) => e.prev === null && e.root === plan.root)).to.equal(true);
    expect(log.events.map((e) => e.state).sort()).to.deep.equal([
      'QUEUED',
      'QUEUED',
      'WAITING',
      'WAITING',
    ]);
    expect((await store.treeState(plan.root))?.seq).to.equal(4);
  });

  it('keeps the tree context for every job to read', async () => {
    const store = makeStore();
    const plan = await submit(store, {
      context: { env: 'prod', n: [1, 2] },
      job: { title: 'r', type: 'noop' },
    });
    expect((await store.getTree(plan.root)).context).to.deep.equal({ env: 'prod', n: [1, 2] });
    const [claimed] = await store.claimJobs('n1', 1, 't', Date.now());
    expect(claimed?.context).to.deep.equal({ env: 'prod', n: [1, 2] });
  });
});
