/**
 * store.failRunning (SPEC §9): jobs a crashed run left RUNNING end FAILED
 * with the given code and their trees abort; the live run's jobs are kept.
 */
import { expect } from 'chai';
import { makeStore, nodeInfo, submit } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

describe('store.failRunning', () => {
  it('fails the jobs of other runs and keeps those of the live run', async () => {
    const store = makeStore();
    const old = await submit(store, {
      job: {
        title: 'old',
        type: 'noop',
        children: [
          { title: 'c', type: 'noop' },
          { title: 'w', type: 'noop', node: 'n2' },
        ],
      },
    });
    const [c] = await store.claimJobs('n1', 1, 'run-1', Date.now());
    const live = await submit(store, { job: { title: 'live', type: 'noop' } });
    await store.claimJobs('n1', 5, 'run-2', Date.now());
    const n = await store.failRunning('n1', 'run-2', 'AGENT_RESTARTED', 'restarted', Date.now());
    expect(n).to.equal(1);
    expect((await store.getJob(c!.id)).state).to.equal('FAILED');
    expect((await store.getJob(c!.id)).error).to.deep.equal({
      code: 'AGENT_RESTARTED',
      message: 'restarted',
    });
    expect((await store.getTree(old.root)).state).to.equal('FAILED');
    expect((await store.getJob(live.root)).state).to.equal('RUNNING');
    expect(await store.failRunning('n1', 'run-2', 'AGENT_RESTARTED', 'again', Date.now())).to.equal(
      0,
    );
  });
});

describe('store.reapNode', () => {
  it('fails a dead node’s running jobs NODE_LOST and aborts their trees (§9)', async () => {
    const store = makeStore();
    const tree = await submit(store, {
      job: {
        title: 'root',
        type: 'noop',
        children: [
          { title: 'on n1', type: 'noop' },
          { title: 'on n2', type: 'noop', node: 'n2' },
        ],
      },
    });
    const [job] = await store.claimJobs('n1', 1, 'run-n1', Date.now());
    expect(await store.reapNode('n1', Date.now())).to.equal(1); // n1 never beat: dead
    const lost = await store.getJob(job!.id);
    expect(lost.state).to.equal('FAILED');
    expect(lost.error?.code).to.equal('NODE_LOST');
    const view = await store.getTree(tree.root);
    expect(view.state).to.equal('FAILED');
    expect(view.job.children.map((c) => c.state)).to.deep.equal(['FAILED', 'ABORTED']);
    // the late report of the lost run is refused and changes nothing
    const late = await store
      .finishJob({ root: tree.root, id: job!.id, token: 'run-n1', outcome: 'SUCCESS', at: 1 })
      .catch((e: Error) => e);
    expect(late).to.be.instanceOf(Error);
    expect((await store.getJob(job!.id)).state).to.equal('FAILED');
  });

  it('leaves a node alone while its heartbeat key lives', async () => {
    const store = makeStore();
    const tree = await submit(store, { job: { title: 'root', type: 'noop' } });
    await store.registerNode(nodeInfo('n1'), 5000);
    await store.claimJobs('n1', 1, 'run-n1', Date.now());
    expect(await store.reapNode('n1', Date.now())).to.equal(null);
    expect((await store.getJob(tree.root)).state).to.equal('RUNNING');
  });
});

describe('store.holdLease', () => {
  it('gives the lease to one holder at a time, extends it for that holder, and frees it on expiry', async () => {
    const store = makeStore();
    expect(await store.holdLease('housekeeper', 'a', 300)).to.equal(true);
    expect(await store.holdLease('housekeeper', 'b', 300)).to.equal(false);
    expect(await store.holdLease('housekeeper', 'a', 300)).to.equal(true);
    await waitFor(async () => store.holdLease('housekeeper', 'b', 300), {
      what: 'the lease to expire',
    });
    expect(await store.holdLease('housekeeper', 'a', 300)).to.equal(false);
  });
});
