/**
 * store.claimJobs (SPEC §4 rule 3): atomic claims, own queue before the
 * any-node queue, stale entries dropped (a bounded number per call, then
 * a wake to come back).
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Keys } from '../../src/store/keys.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { makeStore, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

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

  it('passes over at most 1,000 stale entries a call, and then wakes the node to come back', async () => {
    const store = makeStore();
    const leaves = (n: number, title: string) => ({
      job: {
        title,
        type: 'noop',
        children: Array.from({ length: n }, (_, i) => ({ title: `${title}${i}`, type: 'noop' })),
      },
    });
    const stale = await submit(store, leaves(1500, 'stale'));
    // more live entries than stale ones: the abort leaves its entries for the claims to skip
    const behind = await submit(store, leaves(1501, 'behind'));
    await store.abortJob(stale.root, 'test', Date.now());
    const messages: string[] = [];
    const sub = track(
      store.subscribe([new Keys(store.prefix).wakeChannel('n1')], (_c, m) => messages.push(m)),
      (s) => s.close(),
    );
    await sub.ready;

    expect(await store.claimJobs('n1', 10, 't', Date.now())).to.deep.equal([]);
    await waitFor(() => messages.length === 1, { what: 'the wake' });
    const first = await store.claimJobs('n1', 10, 't', Date.now());
    expect(first.map((j) => j.title)).to.deep.equal(
      Array.from({ length: 10 }, (_, i) => `behind${i}`),
    );
    const rest = await store.claimJobs('n1', 2000, 't', Date.now());
    expect(new Set([...first, ...rest].map((j) => j.root))).to.deep.equal(new Set([behind.root]));
    expect(rest).to.have.length(1491);
    expect(await store.claimJobs('n1', 10, 't', Date.now())).to.deep.equal([]);
    // a call that ran out of entries does not wake: a marker published after it comes next
    const redis = track(new Redis(testRedisUrl()), (r) => r.disconnect());
    await redis.publish(new Keys(store.prefix).wakeChannel('n1'), 'marker');
    await waitFor(() => messages.length === 2, { what: 'the marker' });
    expect(messages).to.deep.equal(['1', 'marker']);
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
