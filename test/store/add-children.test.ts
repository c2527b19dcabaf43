/**
 * store.addChildren (SPEC §3 growing a tree): atomic graft under a job that
 * has not started; a QUEUED target waits again; a started target is a 409.
 */
import { expect } from 'chai';
import { planChildren } from '../../src/jobtree/plan.js';
import { ConflictError } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import type { JobSpec } from '../../src/shared/types.js';
import { claimAll, finish } from '../helpers/drive.js';
import { makeStore, submit } from '../helpers/store.js';
import type { ShardedStore } from '../../src/store/sharded-store.js';

/** Plans `specs` under `target` as admission would, and grafts them. */
async function graft(store: ShardedStore, targetId: string, specs: JobSpec[]) {
  const target = await store.getJob(targetId);
  const { jobs, direct } = planChildren(specs, target, newId);
  await store.addChildren(
    { root: target.root, target: targetId, jobs, direct, maxJobs: 100_000 },
    Date.now(),
  );
  return jobs;
}

describe('store.addChildren', () => {
  it('grafts under a QUEUED job, which waits for the new children (§3)', async () => {
    const store = makeStore();
    const plan = await submit(store, {
      job: { title: 'r', type: 'noop', children: [{ title: 'prepare', type: 'noop' }] },
    });
    const [prepare] = await claimAll(store);
    await finish(store, plan.root, prepare!.id);
    expect((await store.getJob(plan.root)).state).to.equal('QUEUED');
    const added = await graft(store, plan.root, [
      { title: 'i1', type: 'noop' },
      { title: 'i2', type: 'noop' },
    ]);
    expect((await store.getJob(plan.root)).state).to.equal('WAITING');
    const claimed = await claimAll(store);
    expect(claimed.map((j) => j.title).sort()).to.deep.equal(['i1', 'i2']); // the stale root entry is dropped
    await finish(store, plan.root, added[0]!.id);
    await finish(store, plan.root, added[1]!.id);
    expect((await store.getJob(plan.root)).state).to.equal('QUEUED');
    expect((await store.getJob(plan.root)).children).to.have.length(3);
  });

  it('grafts under a job of a long list of children without rewriting it, read everywhere in order (§17)', async () => {
    const store = makeStore();
    // 1,100 children: a list of ~43 KB, past which a graft goes to the job's `grafts`
    const first = Array.from({ length: 1100 }, (_, i) => ({ title: `c${i}`, type: 'noop' }));
    const plan = await submit(store, { job: { title: 'fan', type: 'noop', children: first } });
    const planned = (await store.getJob(plan.root)).children;
    const a = await graft(store, plan.root, [{ title: 'g-a', type: 'noop' }]);
    const b = await graft(store, plan.root, [
      { title: 'g-b', type: 'noop' },
      { title: 'g-c', type: 'noop' },
    ]);
    const grafted = [...a, ...b].map((j) => j.id);
    expect((await store.getJob(plan.root)).children).to.deep.equal([...planned, ...grafted]);
    // the page after the planned children is the grafted ones; the tree counts them all
    const page = await store.getChildren(plan.root, plan.root, undefined, 1100);
    const rest = await store.getChildren(plan.root, plan.root, page.next ?? undefined, 10);
    expect(rest.jobs.map((j) => j.title)).to.deep.equal(['g-a', 'g-b', 'g-c']);
    const paged = await store.getTree(plan.root, { depth: 1, limit: 1 });
    expect(paged.job.counts).to.deep.include({ QUEUED: 1103 });
    expect((await store.searchTree(plan.root, 'g-', 10)).jobs).to.have.length(3);
    // every child ends; the parent's claim brings the results of all 1,103
    for (let left = 1103; left > 0;) {
      const claimed = await claimAll(store);
      for (const j of claimed) await finish(store, plan.root, j.id, 'SUCCESS', { result: j.title });
      left -= claimed.length;
    }
    const [parent] = await claimAll(store);
    expect(parent?.id).to.equal(plan.root);
    expect(parent?.children.map((c) => c.id)).to.deep.equal([...planned, ...grafted]);
    expect(parent?.children.at(-1)?.result).to.equal('g-c');
    await finish(store, plan.root, plan.root);
    expect(await store.deleteTree(plan.root)).to.equal(1104);
  });

  it('refuses a started job with a conflict and writes nothing', async () => {
    const store = makeStore();
    const plan = await submit(store, { job: { title: 'r', type: 'noop' } });
    await claimAll(store);
    const err = await graft(store, plan.root, [{ title: 'late', type: 'noop' }]).catch(
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ConflictError);
    const tree = await store.getTree(plan.root);
    expect(tree.job.children).to.deep.equal([]);
    expect(tree.seq).to.equal(2);
  });
});
