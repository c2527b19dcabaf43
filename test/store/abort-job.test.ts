/**
 * store.abortJob (SPEC §4 rule 5): a user abort acts like a failure of
 * that job, except that the job itself ends ABORTED; a finished tree is a 409.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { testRedisUrl } from '../helpers/hooks.js';
import { ConflictError, NotFoundError } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import { claimAll, finish } from '../helpers/drive.js';
import { makeStore, submit } from '../helpers/store.js';

const spec = {
  job: {
    title: 'r',
    type: 'noop',
    children: [
      { title: 'a', type: 'noop' },
      { title: 'b', type: 'noop', node: 'n2' },
    ],
  },
};

describe('store.abortJob', () => {
  it('ends a queued job ABORTED at once and aborts the rest of its tree (§4.5)', async () => {
    const store = makeStore();
    const plan = await submit(store, spec);
    const b = plan.jobs.find((j) => j.title === 'b')!;
    await store.abortJob(b.id, 'alice', Date.now());
    const tree = await store.getTree(plan.root);
    expect(tree.state).to.equal('ABORTED');
    expect((await store.getJob(b.id)).error).to.deep.equal({
      code: 'ABORTED_BY_USER',
      message: 'aborted by alice',
    });
    for (const j of plan.jobs) expect((await store.getJob(j.id)).state).to.equal('ABORTED');
    expect(await store.claimJobs('n1', 10, 't', Date.now())).to.deep.equal([]);
  });

  it('signals a running job, which ends ABORTED when it stops', async () => {
    const store = makeStore();
    const plan = await submit(store, spec);
    const [a] = await claimAll(store, 'n1');
    await store.abortJob(plan.root, 'bob', Date.now());
    expect((await store.getJob(a!.id)).state).to.equal('RUNNING');
    expect(await store.popSignals('n1')).to.deep.equal([{ root: plan.root, id: a!.id }]);
    expect((await store.getTree(plan.root)).state).to.equal('RUNNING');
    const ans = await finish(store, plan.root, a!.id, 'SUCCESS');
    expect(ans.state).to.equal('ABORTED');
    expect((await store.getTree(plan.root)).state).to.equal('ABORTED');
  });

  it('answers a finished tree with a conflict and changes nothing (§4.5)', async () => {
    const store = makeStore();
    const plan = await submit(store, { job: { title: 'r', type: 'noop' } });
    await claimAll(store);
    await finish(store, plan.root, plan.root);
    const err = await store.abortJob(plan.root, 'x', Date.now()).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConflictError);
    expect((await store.getTree(plan.root)).state).to.equal('SUCCESS');
  });

  it("takes an aborted tree's entries out of a queue they are most of, keeping the others in order", async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    const leaves = (n: number, title: string) => ({
      job: {
        title,
        type: 'noop',
        children: Array.from({ length: n }, (_, i) => ({ title: `${title}${i}`, type: 'noop' })),
      },
    });
    const other = await submit(store, leaves(2, 'keep'));
    const big = await submit(store, leaves(6, 'gone'));
    const later = await submit(store, leaves(1, 'later'));
    const raw = new Redis(testRedisUrl());
    try {
      expect(await raw.llen(`${prefix}:queue:n1`)).to.equal(9);
      await store.abortJob(big.root, 'alice', Date.now());
      const rootOf = (entry: string) => entry.split('|')[0];
      const left = await raw.lrange(`${prefix}:queue:n1`, 0, -1);
      expect(left.map(rootOf)).to.deep.equal([other.root, other.root, later.root]);
      // and a claim finds exactly the others' jobs, in their order
      const claimed = await store.claimJobs('n1', 10, 't', Date.now());
      expect(claimed.map((j) => j.title)).to.deep.equal(['keep0', 'keep1', 'later0']);
    } finally {
      raw.disconnect();
    }
  });

  it('answers an unknown id with not found', async () => {
    const store = makeStore();
    expect(
      await store.abortJob(newId(), 'x', Date.now()).catch((e: unknown) => e),
    ).to.be.instanceOf(NotFoundError);
  });
});
