/**
 * Pools in the store (SPEC §12): slots taken with the claim, atomically
 * across nodes; given back when a job ends however it ends; waiting jobs
 * offered freed slots; growing a pool frees them; a pool that jobs name
 * cannot be deleted; admission "reject" writes nothing when there is no room.
 */
import { expect } from 'chai';
import { ConflictError, UnavailableError, ValidationError } from '../../src/shared/errors.js';
import type { JobSpec } from '../../src/shared/types.js';
import { claimAll, finish } from '../helpers/drive.js';
import { makeStore, nodeInfo, submit } from '../helpers/store.js';

const pooled = (n: number, extra: Partial<JobSpec> = {}): JobSpec => ({
  title: 'root',
  type: 'noop',
  children: Array.from({ length: n }, (_, i) => ({
    title: `d${i}`,
    type: 'noop',
    node: '*',
    pool: 'deploys',
    ...extra,
  })),
});

describe('store: pools', () => {
  it('never runs more of a pool than its slots, whichever nodes claim (§12)', async () => {
    const store = makeStore();
    await store.pools.set('deploys', 2, 'two at a time');
    await submit(store, { job: pooled(5) });
    const a = await claimAll(store, 'a');
    const b = await claimAll(store, 'b');
    expect(a.length + b.length).to.equal(2);
    expect(await store.pools.list()).to.deep.equal([
      { name: 'deploys', slots: 2, used: 2, queued: 3, description: 'two at a time' },
    ]);
  });

  it('gives the slots back when a job ends and offers them to a waiting job (§12)', async () => {
    const store = makeStore();
    await store.pools.set('deploys', 1, undefined);
    const plan = await submit(store, { job: pooled(2) });
    const [first] = await claimAll(store, 'a', 'tok');
    expect(await claimAll(store, 'b')).to.deep.equal([]);
    await finish(store, plan.root, first!.id);
    const [second] = await claimAll(store, 'b');
    expect(second?.title).to.not.equal(first!.title);
    expect((await store.pools.list())[0]).to.include({ used: 1, queued: 0 });
  });

  it('holds several slots for a job that asks for them (§12 poolSlots)', async () => {
    const store = makeStore();
    await store.pools.set('deploys', 3, undefined);
    await submit(store, { job: pooled(2, { poolSlots: 2 }) });
    expect(await claimAll(store, 'a')).to.have.length(1);
    expect((await store.pools.list())[0]).to.include({ used: 2 });
  });

  it('frees the slots of a job that fails, and of one its tree aborts (§12)', async () => {
    const store = makeStore();
    await store.pools.set('deploys', 2, undefined);
    const plan = await submit(store, { job: pooled(3) });
    const claimed = await claimAll(store, 'a');
    await finish(store, plan.root, claimed[0]!.id, 'FAILED', {
      error: { code: 'EXIT', message: 'x' },
    });
    await finish(store, plan.root, claimed[1]!.id, 'SUCCESS');
    expect((await store.getTree(plan.root)).state).to.equal('FAILED');
    expect((await store.pools.list())[0]).to.include({ used: 0 });
    await store.pools.remove('deploys'); // nothing names it any more
    expect(await store.pools.list()).to.deep.equal([]);
  });

  it('frees the slots of jobs a lost node held (§9, §12)', async () => {
    const store = makeStore();
    await store.pools.set('deploys', 1, undefined);
    await submit(store, { job: pooled(1) });
    await claimAll(store, 'gone');
    expect(await store.reapNode('gone', Date.now())).to.equal(1);
    expect((await store.pools.list())[0]).to.include({ used: 0 });
  });

  it('starts waiting jobs at once when the pool grows, and lets running ones finish when it shrinks', async () => {
    const store = makeStore();
    await store.pools.set('deploys', 1, undefined);
    const plan = await submit(store, { job: pooled(3) });
    const [first] = await claimAll(store, 'a');
    expect(await claimAll(store, 'a')).to.deep.equal([]);
    await store.pools.set('deploys', 3, undefined);
    expect(await claimAll(store, 'a')).to.have.length(2);
    await store.pools.set('deploys', 1, undefined);
    await finish(store, plan.root, first!.id);
    expect((await store.pools.list())[0]).to.include({ slots: 1, used: 2 });
  });

  it('refuses to delete a pool that jobs not yet ended name (§12)', async () => {
    const store = makeStore();
    await store.pools.set('deploys', 1, undefined);
    await submit(store, { job: pooled(1) });
    const err = await store.pools.remove('deploys').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConflictError);
    expect((err as ConflictError).code).to.equal('POOL_IN_USE');
    expect(await store.pools.list()).to.have.length(1);
  });

  it('refuses a tree naming a pool that is gone, writing nothing', async () => {
    const store = makeStore();
    const err = await submit(store, { job: pooled(1) }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).code).to.equal('UNKNOWN_POOL');
    expect((await store.listTrees({ tags: [], limit: 5 })).trees).to.deep.equal([]);
  });

  it('refuses with NO_SLOTS under admission "reject" when a leaf could not start, writing nothing (§12)', async () => {
    const store = makeStore();
    await store.registerNode({ ...nodeInfo('a'), concurrency: 2 }, 10000);
    await store.pools.set('deploys', 1, undefined);
    const reject = { admission: 'reject' as const };
    // the pool has 1 slot, the tree needs 2
    const noPool = await submit(store, { ...reject, job: pooled(2) }, 'a').catch((e: unknown) => e);
    expect(noPool).to.be.instanceOf(UnavailableError);
    expect((noPool as UnavailableError).code).to.equal('NO_SLOTS');
    // node a has 2 slots, the tree has 3 leaves for it
    const leaves = {
      title: 'r',
      type: 'noop',
      children: [1, 2, 3].map((i) => ({ title: `l${i}`, type: 'noop' })),
    };
    const noNode = await submit(store, { ...reject, job: { ...leaves, node: 'a' } }, 'a').catch(
      (e: unknown) => e,
    );
    expect((noNode as UnavailableError).code).to.equal('NO_SLOTS');
    expect((noNode as UnavailableError).message).to.include('node a has 2 free slots');
    // a dead node has none
    const dead = await submit(
      store,
      { ...reject, job: { title: 'x', type: 'noop', node: 'b' } },
      'a',
    ).catch((e: unknown) => e);
    expect((dead as UnavailableError).code).to.equal('NO_SLOTS');
    expect((await store.listTrees({ tags: [], limit: 5 })).trees).to.deep.equal([]);
    expect((await store.pools.list())[0]).to.include({ used: 0 });
    // what fits is taken
    await submit(store, { ...reject, job: pooled(1) }, 'a');
    expect((await store.listTrees({ tags: [], limit: 5 })).trees).to.have.length(1);
  });
});
