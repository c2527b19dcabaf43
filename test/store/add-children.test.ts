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
import type { RedisStore } from '../../src/store/redis-store.js';

/** Plans `specs` under `target` as admission would, and grafts them. */
async function graft(store: RedisStore, targetId: string, specs: JobSpec[]) {
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
