/**
 * store.failRunning (SPEC §9): jobs a crashed run left RUNNING end FAILED
 * with the given code and their trees abort; the live run's jobs are kept.
 */
import { expect } from 'chai';
import { makeStore, submit } from '../helpers/store.js';

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
