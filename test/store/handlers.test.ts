/**
 * Failure handlers in the store (SPEC §15): a tree that ends FAILED or
 * ABORTED gets a linked handler tree, written by the script that settles
 * it: the compensations of its succeeded jobs in reverse success order,
 * each on the node that ran its job, then onFailure, one after another
 * whatever each one's end; the original tree's state never changes.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { planChildren } from '../../src/jobtree/plan.js';
import { ConflictError } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import type { JobSpec, TreeSpec } from '../../src/shared/types.js';
import type { ShardedStore } from '../../src/store/sharded-store.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { makeStore, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';

const undo = (what: string) => ({ type: 'noop', params: { undo: what } });

/** Claims the one job queued for `node` and ends it; answers the claim. */
async function runOne(
  store: ShardedStore,
  node: string,
  outcome: 'SUCCESS' | 'FAILED',
  at = Date.now(),
) {
  const [job] = await store.claimJobs(node, 1, `tok-${node}`, at);
  if (!job) throw new Error(`nothing queued for ${node}`);
  await store.finishJob({
    root: job.root,
    id: job.id,
    token: `tok-${node}`,
    outcome,
    at,
    ...(outcome === 'FAILED' ? { error: { code: 'EXIT', message: `${job.title} failed` } } : {}),
  });
  return job;
}

/** Deploy: fetch (n1) and build (n2) succeed in that order, switch (n1) fails. */
function deploy(extra: Partial<TreeSpec> = {}): TreeSpec {
  const chain: JobSpec = {
    title: 'switch',
    type: 'noop',
    node: 'n1',
    children: [
      {
        title: 'build',
        type: 'noop',
        node: 'n2',
        compensate: undo('build'),
        children: [{ title: 'fetch', type: 'noop', node: 'n1', compensate: undo('fetch') }],
      },
    ],
  };
  return { tags: { app: 'shop' }, context: { release: 'v2' }, job: chain, ...extra };
}

describe('store: failure handlers (§15)', () => {
  let store: ShardedStore;
  beforeEach(() => {
    store = makeStore(testRedisUrl(), `jt-${randomUUID()}`);
  });

  it('runs compensations last-success-first on their nodes, then onFailure with the outcome', async () => {
    const plan = await submit(
      store,
      deploy({ onFailure: { title: 'tell the team', type: 'noop', params: { to: 'ops' } } }),
    );
    const [switchJob, build, fetch] = plan.jobs;
    expect((await store.getTree(plan.root)).handlers).to.deep.equal({
      root: plan.handlers?.root,
      state: 'PENDING',
    });
    await runOne(store, 'n1', 'SUCCESS'); // fetch
    await runOne(store, 'n2', 'SUCCESS'); // build
    await runOne(store, 'n1', 'FAILED'); // switch
    const tree = await store.getTree(plan.root);
    expect(tree.state).to.equal('FAILED');
    const hroot = plan.handlers!.root;
    expect(tree.handlers).to.deep.equal({ root: hroot, state: 'RUNNING' });

    const handlers = await store.getTree(hroot);
    expect(handlers.handlerOf).to.equal(plan.root);
    expect(handlers.tags).to.deep.equal({ app: 'shop' });
    const byTag = await store.listTrees({ tags: [['app', 'shop']], limit: 10 });
    expect(byTag.trees.map((t) => t.root)).to.deep.equal([plan.root]); // not its handlers
    const all = await store.listTrees({ tags: [], limit: 10 });
    expect(all.trees.find((t) => t.root === hroot)?.handlerOf).to.equal(plan.root);
    expect(handlers.context).to.deep.equal({ release: 'v2' });
    expect(handlers.outcome).to.deep.equal({
      state: 'FAILED',
      failed: {
        job: switchJob!.id,
        title: 'switch',
        error: { code: 'EXIT', message: 'switch failed' },
      },
    });
    expect(handlers.job.children.map((c) => [c.title, c.node, c.state])).to.deep.equal([
      ['undo: build', 'n2', 'QUEUED'],
      ['undo: fetch', 'n1', 'WAITING'],
      ['tell the team', '*', 'WAITING'],
    ]);
    expect(handlers.job.children[0]!.id).to.equal(build!.compensate!.id);
    expect(handlers.job.children[1]!.id).to.equal(fetch!.compensate!.id);

    // n1 has nothing yet: the compensation of build (on n2) goes first
    expect(await store.claimJobs('n1', 1, 'early', Date.now())).to.deep.equal([]);
    const first = await runOne(store, 'n2', 'SUCCESS');
    expect(first.params).to.deep.equal({ undo: 'build' });
    expect(first.outcome?.failed?.job).to.equal(switchJob!.id);
    const second = await runOne(store, 'n1', 'SUCCESS');
    expect(second.params).to.deep.equal({ undo: 'fetch' });
    const notify = await runOne(store, 'n3', 'SUCCESS'); // `*`: whichever node claims it
    expect(notify).to.include({ title: 'tell the team' });
    expect(notify.outcome?.state).to.equal('FAILED');
    await runOne(store, 'n3', 'SUCCESS'); // the handler root
    expect((await store.getTree(hroot)).state).to.equal('SUCCESS');
    expect(await store.getTree(plan.root)).to.deep.include({
      state: 'FAILED',
      handlers: { root: hroot, state: 'SUCCESS' },
    });
  });

  it('orders compensations by when the jobs succeeded, not when Redis heard of it (issue 26)', async () => {
    // a succeeded at 1,000 and b at 2,000, but a's end was journalled and reached Redis last
    const plan = await submit(store, {
      job: {
        title: 'root',
        type: 'noop',
        node: 'n0',
        children: [
          { title: 'a', type: 'noop', node: 'n1', compensate: undo('a') },
          { title: 'b', type: 'noop', node: 'n2', compensate: undo('b') },
          { title: 'c', type: 'noop', node: 'n3' },
        ],
      },
    });
    const [a] = await store.claimJobs('n1', 1, 'tok-n1', 500);
    const [b] = await store.claimJobs('n2', 1, 'tok-n2', 500);
    await store.finishJob({
      root: plan.root,
      id: b!.id,
      token: 'tok-n2',
      outcome: 'SUCCESS',
      at: 2000,
    });
    await store.finishJob({
      root: plan.root,
      id: a!.id,
      token: 'tok-n1',
      outcome: 'SUCCESS',
      at: 1000,
    });
    await runOne(store, 'n3', 'FAILED', 3000);
    const handlers = await store.getTree(plan.handlers!.root);
    expect(handlers.job.children.map((c) => c.title)).to.deep.equal(['undo: b', 'undo: a']);
  });

  it('goes on past a failing handler; the handler tree fails, the tree keeps its state', async () => {
    const plan = await submit(store, deploy({ onFailure: { title: 'notify', type: 'noop' } }));
    const events = await collectEvents(store);
    await runOne(store, 'n1', 'SUCCESS');
    await runOne(store, 'n2', 'SUCCESS');
    await runOne(store, 'n1', 'FAILED');
    const hroot = plan.handlers!.root;
    await runOne(store, 'n2', 'FAILED'); // undo build fails
    await runOne(store, 'n1', 'FAILED'); // undo fetch fails too
    await runOne(store, 'n9', 'SUCCESS'); // notify still runs
    await runOne(store, 'n9', 'SUCCESS');
    const handlers = await store.getTree(hroot);
    expect(handlers.state).to.equal('FAILED');
    expect(handlers.job.children.map((c) => c.state)).to.deep.equal([
      'FAILED',
      'FAILED',
      'SUCCESS',
    ]);
    expect(events.events.some((e) => e.root === hroot && e.state === 'ABORTED')).to.equal(false);
    expect((await store.getTree(plan.root)).state).to.equal('FAILED');
  });

  it('a user abort runs the handlers, told of the aborted job', async () => {
    const plan = await submit(store, deploy({ onFailure: { title: 'notify', type: 'noop' } }));
    const fetch = plan.jobs[2]!;
    await runOne(store, 'n1', 'SUCCESS');
    await store.abortJob(plan.root, 'alice', Date.now());
    const handlers = await store.getTree(plan.handlers!.root);
    expect(handlers.outcome?.state).to.equal('ABORTED');
    expect(handlers.outcome?.failed).to.deep.include({ job: plan.root, title: 'switch' });
    expect(handlers.outcome?.failed?.error?.code).to.equal('ABORTED_BY_USER');
    // build never ran: only fetch is undone
    expect(handlers.job.children.map((c) => c.id)).to.deep.equal([
      fetch.compensate!.id,
      plan.handlers!.onFailure[0]!.id,
    ]);
  });

  it('skips the handlers of a tree that succeeded, or was aborted without them', async () => {
    const ok = await submit(store, deploy());
    for (const node of ['n1', 'n2', 'n1']) await runOne(store, node, 'SUCCESS');
    expect((await store.getTree(ok.root)).handlers).to.deep.equal({
      root: ok.handlers!.root,
      state: 'SKIPPED',
    });
    const aborted = await submit(store, deploy({ onFailure: { title: 'n', type: 'noop' } }));
    await runOne(store, 'n1', 'SUCCESS');
    await store.abortJob(aborted.root, 'bob', Date.now(), { handlers: false });
    expect((await store.getTree(aborted.root)).handlers?.state).to.equal('SKIPPED');
    for (const plan of [ok, aborted]) {
      expect(await store.treeState(plan.handlers!.root)).to.equal(null);
    }
    expect(await store.claimJobs('n1', 10, 't', Date.now())).to.deep.equal([]);
  });

  it('a handler lost with its node is a failed step, and the next one runs', async () => {
    const plan = await submit(store, deploy());
    await runOne(store, 'n1', 'SUCCESS');
    await runOne(store, 'n2', 'SUCCESS');
    await runOne(store, 'n1', 'FAILED');
    await store.claimJobs('n2', 1, 'doomed', Date.now()); // undo build, then n2 is lost
    expect(await store.failRunning('n2', '', 'NODE_LOST', 'node n2 lost', Date.now())).to.equal(1);
    const second = await runOne(store, 'n1', 'SUCCESS');
    expect(second.params).to.deep.equal({ undo: 'fetch' });
    const handlers = await store.getTree(plan.handlers!.root);
    expect(handlers.job.children.map((c) => c.state)).to.deep.equal(['FAILED', 'SUCCESS']);
  });

  it('retention deletes the handler tree with its tree, once both have ended', async () => {
    const raw = track(new Redis(testRedisUrl()), (r) => r.disconnect());
    const plan = await submit(store, deploy());
    await runOne(store, 'n1', 'SUCCESS');
    await runOne(store, 'n2', 'FAILED');
    expect(await store.deleteTree(plan.root)).to.equal(null); // the handlers still run
    const hroot = plan.handlers!.root;
    await runOne(store, 'n1', 'SUCCESS'); // undo fetch
    await runOne(store, 'n1', 'SUCCESS'); // the handler root
    expect(await store.expiredTrees(Date.now() + 1, 10)).to.deep.equal([plan.root]); // never H alone
    expect(await store.deleteTree(plan.root)).to.equal(3 + 2);
    expect(await store.treeState(hroot)).to.equal(null);
    expect(await raw.keys(`${store.prefix}:*`)).to.deep.equal([]);
  });

  it('a graft may bring compensations; a handler tree takes no graft', async () => {
    const plan = await submit(store, {
      job: { title: 'root', type: 'noop', node: 'n1', children: [{ title: 'a', type: 'noop' }] },
    });
    expect(plan.handlers).to.equal(undefined);
    const grafted = planChildren(
      [{ title: 'b', type: 'noop', compensate: undo('b') }],
      { id: plan.root, root: plan.root, node: 'n1' },
      newId,
    );
    const hroot = newId();
    await store.addChildren(
      { root: plan.root, target: plan.root, ...grafted, maxJobs: 100, handlersRoot: hroot },
      Date.now(),
    );
    await runOne(store, 'n1', 'SUCCESS'); // a
    await runOne(store, 'n1', 'SUCCESS'); // b
    await runOne(store, 'n1', 'FAILED'); // root
    const handlers = await store.getTree(hroot);
    expect(handlers.handlerOf).to.equal(plan.root);
    const step = handlers.job.children[0]!;
    const again = planChildren([{ title: 'c', type: 'noop' }], step, newId);
    const refused = await store
      .addChildren({ root: hroot, target: step.id, ...again, maxJobs: 100 }, Date.now())
      .catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(ConflictError).with.property('code', 'HANDLER_TREE');
  });
});
