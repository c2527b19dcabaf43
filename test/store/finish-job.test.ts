/**
 * store.finishJob (SPEC §4 rules 2, 4, 6; §5 results and context; §9
 * fencing).
 */
import { expect } from 'chai';
import { ConflictError, FencedError } from '../../src/shared/errors.js';
import { collectEvents } from '../helpers/events.js';
import { claimAll, finish } from '../helpers/drive.js';
import { makeStore, submit } from '../helpers/store.js';

// r ─┬─ a ─┬─ a1
//    │     └─ a2
//    └─ b ── b1
const spec = {
  job: {
    title: 'r',
    type: 'noop',
    children: [
      {
        title: 'a',
        type: 'noop',
        children: [
          { title: 'a1', type: 'noop', key: 'one' },
          { title: 'a2', type: 'noop' },
        ],
      },
      { title: 'b', type: 'noop', children: [{ title: 'b1', type: 'noop' }] },
    ],
  },
};

async function setup() {
  const store = makeStore();
  const plan = await submit(store, spec);
  const id = (t: string) => plan.jobs.find((j) => j.title === t)!.id;
  return { store, plan, id };
}

describe('store.finishJob', () => {
  it('queues a parent the moment its last child succeeds, before its level is done (§4.2)', async () => {
    const { store, plan, id } = await setup();
    await claimAll(store);
    await finish(store, plan.root, id('b1'));
    expect((await store.getJob(id('b'))).state).to.equal('QUEUED'); // a1, a2 still running
    await finish(store, plan.root, id('a1'));
    expect((await store.getJob(id('a'))).state).to.equal('WAITING');
    await finish(store, plan.root, id('a2'));
    expect((await store.getJob(id('a'))).state).to.equal('QUEUED');
  });

  it('queues a parent no earlier than its last child ended, when ends arrive out of order', async () => {
    const store = makeStore();
    const plan = await submit(store, spec);
    await claimAll(store);
    const [, a, a1, a2] = plan.jobs;
    await finish(store, plan.root, a1!.id, 'SUCCESS', { at: 2000 });
    // a2 ended earlier but its report arrives later (delayed, or replayed from a journal)
    const answer = await finish(store, plan.root, a2!.id, 'SUCCESS', { at: 1000, claimFor: 'n1' });
    expect(answer.next?.id).to.equal(a!.id);
    const parent = await store.getJob(a!.id);
    expect(parent.queuedAt).to.equal(2000);
    expect(parent.startedAt).to.equal(2000);
  });

  it('hands the freed parent to the finishing node when asked, with its children results', async () => {
    const { store, plan, id } = await setup();
    await claimAll(store);
    await finish(store, plan.root, id('a1'), 'SUCCESS', { result: { built: 'v1' } });
    const ans = await finish(store, plan.root, id('a2'), 'SUCCESS', {
      claimFor: 'n1',
      result: [1],
    });
    expect(ans.next?.id).to.equal(id('a'));
    expect((await store.getJob(id('a'))).state).to.equal('RUNNING');
    const byKey = Object.fromEntries(ans.next!.children.map((c) => [c.key ?? c.id, c.result]));
    expect(byKey).to.deep.equal({ one: { built: 'v1' }, [id('a2')]: [1] });
  });

  it('merges a job context into the tree before its parent starts (§5)', async () => {
    const { store, plan, id } = await setup();
    await claimAll(store);
    await finish(store, plan.root, id('b1'), 'SUCCESS', { context: { url: 'http://x', list: [] } });
    const [b] = await claimAll(store);
    expect(b?.id).to.equal(id('b'));
    expect(b?.context).to.deep.equal({ url: 'http://x', list: [] });
  });

  it('aborts every non-terminal job when one fails, flagging running ones (§4.4)', async () => {
    const { store, plan, id } = await setup();
    await claimAll(store);
    await finish(store, plan.root, id('b1'), 'FAILED', {
      error: { code: 'EXIT', message: 'exit code 2' },
    });
    const tree = await store.getTree(plan.root);
    expect(tree.state).to.equal('RUNNING'); // a1 and a2 still have to stop
    expect((await store.getJob(id('b'))).state).to.equal('ABORTED');
    expect((await store.getJob(id('b'))).error).to.include({
      code: 'ABORTED_BY_FAILURE',
      job: id('b1'),
    });
    expect((await store.popSignals('n1')).map((s) => s.id).sort()).to.deep.equal(
      [id('a1'), id('a2')].sort(),
    );
    const ans = await finish(store, plan.root, id('a1'), 'SUCCESS');
    expect(ans.state).to.equal('ABORTED');
    await finish(store, plan.root, id('a2'), 'ABORTED');
    const done = await store.getTree(plan.root);
    expect(done.state).to.equal('FAILED');
    expect((await store.getJob(id('b1'))).state).to.equal('FAILED');
    expect((await store.getJob(id('b1'))).error).to.deep.equal({
      code: 'EXIT',
      message: 'exit code 2',
    });
  });

  it('settles the tree SUCCESS with the root summary when all succeed (§4.6)', async () => {
    const store = makeStore();
    const plan = await submit(store, { job: { title: 'r', type: 'noop' } });
    await claimAll(store);
    await finish(store, plan.root, plan.root, 'SUCCESS', { summary: 'deployed' });
    const list = await store.listTrees({ tags: [], limit: 5 });
    expect(list.trees[0]).to.include({ root: plan.root, state: 'SUCCESS', summary: 'deployed' });
    expect(list.trees[0]?.counts).to.deep.equal({ SUCCESS: 1 });
  });

  it('refuses a report with a stale token (fencing) and a report on a job not running', async () => {
    const { store, plan, id } = await setup();
    await claimAll(store);
    const stale = await store
      .finishJob({
        root: plan.root,
        id: id('a1'),
        token: 'old-run',
        outcome: 'SUCCESS',
        at: Date.now(),
      })
      .catch((e: unknown) => e);
    expect(stale).to.be.instanceOf(FencedError);
    expect((await store.getJob(id('a1'))).state).to.equal('RUNNING');
    const notRunning = await finish(store, plan.root, id('a'), 'SUCCESS').catch((e: unknown) => e);
    expect(notRunning).to.be.instanceOf(ConflictError);
  });

  it('publishes each transition once, in seq order, after it is written (§4.8)', async () => {
    const store = makeStore();
    const log = await collectEvents(store);
    const plan = await submit(store, {
      job: { title: 'r', type: 'noop', children: [{ title: 'c', type: 'noop' }] },
    });
    const [c] = await claimAll(store);
    await finish(store, plan.root, c!.id, 'SUCCESS', { claimFor: 'n1' });
    await finish(store, plan.root, plan.root);
    const last = await log.until((e) => e.job === plan.root && e.state === 'SUCCESS');
    const mine = log.events.filter((e) => e.root === plan.root);
    expect(mine.map((e) => e.seq)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    expect(mine.map((e) => `${e.prev}>${e.state}`)).to.deep.equal([
      'null>WAITING',
      'null>QUEUED',
      'QUEUED>RUNNING',
      'RUNNING>SUCCESS',
      'WAITING>QUEUED',
      'QUEUED>RUNNING',
      'RUNNING>SUCCESS',
    ]);
    expect(last.node).to.equal('n1');
    expect((await store.treeState(plan.root))?.seq).to.equal(last.seq);
  });

  it('takes many ends in one call and answers each, refusing only the stale one', async () => {
    const { store, plan, id } = await setup();
    await claimAll(store);
    const at = Date.now();
    const answers = await store.finishJobs([
      { root: plan.root, id: id('a1'), token: 'tok', outcome: 'SUCCESS', at },
      { root: plan.root, id: id('b1'), token: 'stale', outcome: 'SUCCESS', at },
      { root: plan.root, id: id('a2'), token: 'tok', outcome: 'SUCCESS', at, claimFor: 'n1' },
    ]);
    expect(answers[0]).to.deep.include({ state: 'SUCCESS', next: null });
    expect(answers[1]).to.be.instanceOf(FencedError);
    expect((answers[2] as { next: { id: string } }).next.id).to.equal(id('a')); // freed by the batch's second success
    expect((await store.getJob(id('b1'))).state).to.equal('RUNNING');
  });
});
