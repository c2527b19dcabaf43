/**
 * A big tree's abort in chunks (SPEC §17: no script holds Redis long): a
 * failure in a tree of more than 500 active jobs marks it aborting and
 * aborts 500 jobs a script; meanwhile a claim that meets one of its jobs
 * aborts that job instead of starting it, a running job ends ABORTED
 * whatever it reports, and whoever comes next (the caller, or the
 * housekeeper's continueAborts) finishes the abort; every job ends once.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { JobSpec } from '../../src/shared/types.js';
import { createScriptClient } from '../../src/store/redis-client.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { makeStore, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

const LEAVES = 5000;

function flat(n: number): JobSpec {
  const children = Array.from({ length: n }, (_, i) => ({ title: `leaf ${i}`, type: 'noop' }));
  return { title: 'root', type: 'noop', node: 'n1', children };
}

describe('store: aborting a big tree in chunks (§17)', function () {
  this.timeout(30000);

  it('aborts 5,000 jobs in chunks, claims and ends during the abort included', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    const raw = track(createScriptClient(testRedisUrl()), (r) => r.disconnect());
    const plan = await submit(store, { job: flat(LEAVES) });
    const events = await collectEvents(store);
    const t = Date.now() + 1000;
    const [failing, runningOn] = await store.claimJobs('n1', 2, 'tok', t);
    // the failure's own script only: the abort is left under way
    const fields = (id: string, outcome: string) => [plan.root, id, 'tok', outcome, t + 1];
    const tail = ['', '', JSON.stringify({ code: 'EXIT', message: 'no' }), '', '', ''];
    const flatReply = await raw.finishJobs(
      `${prefix}:trees`,
      prefix,
      ...fields(failing!.id, 'FAILED'),
      ...tail,
    );
    expect(flatReply.slice(4)).to.deep.equal([plan.root]);
    const tree = await raw.hmget(`${prefix}:{${plan.root}}:tree`, 'aborting', 'n:QUEUED');
    expect(tree[0]).to.be.a('string');
    expect(Number(tree[1])).to.be.above(0); // chunks left

    // a claim meets queued jobs of the tree: it aborts them, starts none
    expect(await store.claimJobs('n1', 5, 'tok2', t + 2)).to.deep.equal([]);
    // the running job's success comes too late (its chunk has not flagged it yet): it ends ABORTED
    const late = await raw.finishJobs(
      `${prefix}:trees`,
      prefix,
      ...fields(runningOn!.id, 'SUCCESS'),
      ...tail,
    );
    expect(late.slice(0, 2)).to.deep.equal([1, 'ABORTED']);

    expect(await store.continueAborts(t + 4)).to.equal(1);
    const done = await store.getTree(plan.root);
    expect(done.state).to.equal('FAILED');
    const states = new Set(done.job.children.map((c) => c.state));
    expect([...states].sort()).to.deep.equal(['ABORTED', 'FAILED']);
    expect(done.job.state).to.equal('ABORTED');
    expect(await raw.zcard(`${prefix}:aborting`)).to.equal(0);
    // entries of aborted jobs left on the queue are dropped by the claims that meet them
    while ((await raw.llen(`${prefix}:queue:n1`)) > 0) {
      expect(await store.claimJobs('n1', 10, 'tok3', t + 5)).to.deep.equal([]);
    }
    // every job ended exactly once, each end published once
    const ended = () => events.events.filter((e) => e.state === 'ABORTED' || e.state === 'FAILED');
    await waitFor(() => ended().length >= LEAVES + 1, { what: 'every end published' });
    expect(new Set(ended().map((e) => e.job)).size).to.equal(LEAVES + 1);
    expect(ended().length).to.equal(LEAVES + 1);
  });

  it('a user abort of a big tree answers once the whole tree is aborted', async () => {
    const store = makeStore(testRedisUrl(), `jt-${randomUUID()}`);
    const plan = await submit(store, { job: flat(LEAVES) });
    await store.abortJob(plan.root, 'alice', Date.now());
    const tree = await store.getTree(plan.root);
    expect(tree.state).to.equal('ABORTED');
    expect(tree.job.children.every((c) => c.state === 'ABORTED')).to.equal(true);
  });
});
