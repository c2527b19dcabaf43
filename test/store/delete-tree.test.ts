/**
 * store.deleteTree and expiredTrees (SPEC §9 retention): a finished tree
 * goes with every key and index entry it made, including queue and signal
 * entries left on nodes' lists; a running tree is never deleted.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { dumpPrefix, mentions } from '../helpers/redis-dump.js';
import { Redis } from 'ioredis';
import { testRedisUrl } from '../helpers/hooks.js';
import { makeStore, submit } from '../helpers/store.js';

describe('store.deleteTree', () => {
  it('leaves no key or entry of a finished tree and keeps a running one', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(undefined, prefix);
    const running = await submit(store, {
      tags: { app: 'shop' },
      job: { title: 'still running', type: 'noop', node: 'n9' },
    });
    // n2's queue holds more of others than of the aborted tree: its entry is left there, stale
    for (const title of ['other 1', 'other 2'])
      await submit(store, { job: { title, type: 'noop', node: 'n2' } });
    const done = await submit(store, {
      tags: { app: 'shop', version: '1.2' },
      context: { region: 'eu' },
      job: {
        title: 'deploy',
        type: 'noop',
        children: [
          { title: 'ran', type: 'noop' },
          { title: 'never claimed', type: 'noop', node: 'n2' },
          { title: 'signalled', type: 'noop', node: 'n3' },
        ],
      },
    });
    const [, ran, , signalled] = done.jobs;
    const claimed = await store.claimJobs('n1', 1, 'tok', Date.now());
    expect(claimed[0]?.id).to.equal(ran!.id);
    await store.finishJob({
      root: done.root,
      id: ran!.id,
      token: 'tok',
      outcome: 'SUCCESS',
      at: 1,
    });
    await store.claimJobs('n3', 1, 'tok3', Date.now());
    await store.abortJob(done.root, 'test', Date.now()); // leaves a queue entry on n2, a signal on n3
    await store.finishJob({
      root: done.root,
      id: signalled!.id,
      token: 'tok3',
      outcome: 'SUCCESS',
      at: 2,
    });
    expect((await store.getTree(done.root)).state).to.equal('ABORTED');
    const ids = done.jobs.map((j) => j.id);
    expect(mentions(await dumpPrefix(prefix), ids)).to.include.members([
      `${prefix}:queue:n2`,
      `${prefix}:signals:n3`,
    ]);

    expect(await store.expiredTrees(Date.now() + 1, 10)).to.deep.equal([done.root]);
    expect(await store.deleteTree(running.root)).to.equal(null);
    expect(await store.deleteTree(done.root)).to.equal(4);

    expect(mentions(await dumpPrefix(prefix), ids)).to.deep.equal([]);
    expect(await store.expiredTrees(Date.now() + 1, 10)).to.deep.equal([]);
    const kept = await store.getTree(running.root);
    expect(kept.state).to.equal('RUNNING');
    expect(
      (await store.listTrees({ tags: [['app', 'shop']], limit: 10 })).trees.map((t) => t.root),
    ).to.deep.equal([running.root]);
  });

  it('deletes a job of very many children a window of its list at a time, leaving no key (§17)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(undefined, prefix);
    // 2,600 children: a list of ~100 KB, expanded from its copy over several calls
    const plan = await submit(store, {
      job: {
        title: 'fan-out',
        type: 'noop',
        node: 'n1',
        children: Array.from({ length: 2600 }, (_, i) => ({ title: `c${i}`, type: 'noop' })),
      },
    });
    await store.abortJob(plan.root, 'test', Date.now());
    const deleted = await store.deleteTree(plan.root);
    expect(deleted).to.equal(2601);
    const left = await dumpPrefix(prefix);
    expect(mentions(left, [plan.root, ...plan.jobs.map((j) => j.id)])).to.deep.equal([]);
    expect([...left.keys()].filter((k) => k.includes(plan.root))).to.deep.equal([]);
  });

  it('drops a retention entry whose tree is gone, so it does not come back every sweep', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(undefined, prefix);
    const ghost = randomUUID();
    const redis = new Redis(testRedisUrl());
    await redis.zadd(`${prefix}:finished`, 1, ghost);
    redis.disconnect();
    expect(await store.expiredTrees(Date.now(), 10)).to.deep.equal([ghost]);
    expect(await store.deleteTree(ghost)).to.equal(0);
    expect(await store.expiredTrees(Date.now(), 10)).to.deep.equal([]);
  });
});
