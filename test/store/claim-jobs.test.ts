/**
 * store.claimJobs (SPEC §4 rule 3): atomic claims, own queue before the
 * any-node queue, stale entries dropped.
 */
import { expect } from 'chai';
import { makeStore, submit } from '../helpers/store.js';

describe('store.claimJobs', () => {
  it('starts a job at most once across concurrent claimers (§4.3)', async () => {
    const store = makeStore();
    const children = Array.from({ length: 200 }, (_, i) => ({
      title: `j${i}`,
      type: 'noop',
      node: '*',
    }));
    await submit(store, { job: { title: 'r', type: 'noop', children } });
    const rounds = await Promise.all(
      ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b'].map((node) =>
        store.claimJobs(node, 40, `tok-${node}`, Date.now()),
      ),
    );
    const ids = rounds.flat().map((j) => j.id);
    expect(ids).to.have.length(200);
    expect(new Set(ids).size).to.equal(200);
  });

  it('takes the node queue first, then "*" jobs, and sets the claiming node', async () => {
    const store = makeStore();
    const plan = await submit(
      store,
      {
        job: {
          title: 'r',
          type: 'noop',
          children: [
            { title: 'any', type: 'noop', node: '*' },
            { title: 'mine', type: 'noop' },
          ],
        },
      },
      'n1',
    );
    const got = await store.claimJobs('n1', 10, 't', Date.now());
    expect(got.map((j) => j.title)).to.deep.equal(['mine', 'any']);
    const any = plan.jobs.find((j) => j.title === 'any')!;
    expect((await store.getJob(any.id)).node).to.equal('n1');
  });

  it('drops queue entries of jobs that are no longer QUEUED', async () => {
    const store = makeStore();
    const plan = await submit(store, {
      job: { title: 'r', type: 'noop', children: [{ title: 'a', type: 'noop' }] },
    });
    await store.abortJob(plan.root, 'test', Date.now());
    expect(await store.claimJobs('n1', 10, 't', Date.now())).to.deep.equal([]);
    expect(await store.queueDepth('n1')).to.equal(0);
  });

  it('does not hand a node the jobs of another node', async () => {
    const store = makeStore();
    await submit(store, { job: { title: 'r', type: 'noop', node: 'other' } });
    expect(await store.claimJobs('n1', 10, 't', Date.now())).to.deep.equal([]);
    expect(await store.claimJobs('other', 10, 't', Date.now())).to.have.length(1);
  });

  it('never starts a job before it was queued, even with a stale claim time', async () => {
    const store = makeStore();
    const queuedAt = Date.now();
    const plan = await submit(store, { job: { title: 'r', type: 'noop' } }, 'n1', queuedAt);
    // a claim whose time was taken before an outage and sent after it
    const [job] = await store.claimJobs('n1', 1, 'tok', queuedAt - 5000);
    expect(job?.startedAt).to.equal(queuedAt);
    expect((await store.getJob(plan.root)).startedAt).to.equal(queuedAt);
  });
});
