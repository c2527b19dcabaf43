/**
 * SPEC §17, a resharding: a shard's slot moved to another master while its
 * trees are in use. In the middle of the move part of the slot's keys are
 * on each master; a script there would find some of the keys it builds
 * missing, after some of its writes. The guard key (slot-guard.ts) has
 * Redis refuse it (TRYAGAIN) until the slot is whole again, and ioredis
 * sends it again: each call below is made in the middle of a move and
 * must end as it would have without one.
 */
import { expect } from 'chai';
import keySlot from 'cluster-key-slot';
import type { TreeSpec } from '../../src/shared/types.js';
import type { ShardedStore } from '../../src/store/sharded-store.js';
import { shardOf, shardTags } from '../../src/store/shards.js';
import {
  clusteredStore,
  startCluster,
  type SlotMove,
  type TestCluster,
} from '../helpers/cluster.js';
import { submit } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

/** A root on n1 over leaves on these nodes ('*': the node that claims it first). */
const flat = (...nodes: string[]): TreeSpec => ({
  job: {
    title: 'root',
    type: 'noop',
    node: 'n1',
    children: nodes.map((node, i) => ({ title: `leaf ${i}`, type: 'noop', node })),
  },
});

// with replicas a script's answer comes in one pipeline with WAIT (confirm-writes.ts), which
// ioredis does not send again on its own
for (const replicas of [0, 1]) {
  describe(`store: a shard moved to another master while in use, ${replicas} replicas a master (§17)`, function () {
    this.timeout(60000);
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster(3, { replicas });
    });
    after(() => cluster.destroy());
    const makeClustered = () => clusteredStore(cluster);

    /** Starts moving the slot of `root`'s shard and moves the keys `first` picks, the rest staying. */
    async function halfMoved(store: ShardedStore, root: string, first: (key: string) => boolean) {
      const slot = keySlot(`${store.prefix}:{${shardTags()[shardOf(root)] as string}}:x`);
      const from = await cluster.masterOf(slot);
      const move = await cluster.startMove(slot, cluster.ports.find((p) => p !== from) as number);
      const keys = await move.keysLeft();
      const moving = keys.filter(first);
      expect(moving.length).to.be.within(1, keys.length - 1); // both masters hold some of the slot
      await move.moveKeys(moving);
      return move;
    }

    /** Runs `call` while the move is half done; once Redis has refused it, ends the move. */
    async function acrossTheMove<T>(move: SlotMove, call: () => Promise<T>): Promise<T> {
      const refused = await cluster.tryAgainRefusals();
      const pending = call();
      const answer = pending.then(
        () => 'answered before the move ended',
        (err: unknown) => `failed: ${String(err)} ${String((err as Error).cause)}`,
      );
      const first = await Promise.race([
        answer,
        waitFor(async () => (await cluster.tryAgainRefusals()) > refused, {
          what: 'Redis to refuse the call while the slot moves',
        }),
      ]);
      expect(first, 'the call, in the middle of the move').to.equal(true);
      await move.finish();
      return pending;
    }

    it('claims the jobs of a shard whose job hashes moved before its queues, each once', async () => {
      const store = makeClustered();
      // both queues the claim names exist, so only the guard has Redis refuse it
      const plan = await submit(store, flat('n1', 'n1', '*'));
      const leaves = plan.jobs.filter((j) => j.parent !== null).map((j) => j.id);
      const move = await halfMoved(store, plan.root, (k) => k.includes(':job:'));
      const claimed = await acrossTheMove(move, () => store.claimJobs('n1', 10, 'tok', Date.now()));
      expect(claimed.map((c) => c.id).sort()).to.deep.equal([...leaves].sort());
      const tree = await store.getTree(plan.root);
      expect(tree.job.children?.map((c) => c.state)).to.deep.equal([
        'RUNNING',
        'RUNNING',
        'RUNNING',
      ]);
      expect(await store.claimJobs('n1', 10, 'tok', Date.now())).to.deep.equal([]);
    });

    it('reads a tree whose job hashes moved before its tree hash, every job as it is', async () => {
      const store = makeClustered();
      const plan = await submit(store, flat('n1', 'n1', 'n1'));
      const move = await halfMoved(store, plan.root, (k) => k.includes(':job:'));
      const tree = await acrossTheMove(move, () => store.getTree(plan.root));
      expect(tree.job.children?.map((c) => c.state)).to.deep.equal(['QUEUED', 'QUEUED', 'QUEUED']);
      const page = await store.listTrees({ tags: [], limit: 10 });
      expect(page.trees.map((t) => t.root)).to.deep.equal([plan.root]);
    });

    it('ends the jobs of a shard whose tree hash moved before its jobs, the parent queued once', async () => {
      const store = makeClustered();
      const plan = await submit(store, flat('n1', 'n1'));
      const claimed = await store.claimJobs('n1', 10, 'tok', Date.now());
      expect(claimed).to.have.length(2);
      const move = await halfMoved(store, plan.root, (k) => k.endsWith(':tree'));
      const ends = claimed.map((c) => ({
        root: c.root,
        id: c.id,
        token: 'tok',
        outcome: 'SUCCESS' as const,
        at: Date.now(),
      }));
      await acrossTheMove(move, () => store.finishJobs(ends));
      // the last end queued the root, once
      const [root] = await store.claimJobs('n1', 10, 'tok', Date.now());
      expect(root?.id).to.equal(plan.root);
      await store.finishJobs([
        { root: plan.root, id: plan.root, token: 'tok', outcome: 'SUCCESS', at: Date.now() },
      ]);
      const state = await store.treeState(plan.root);
      expect(state?.state).to.equal('SUCCESS');
      // every transition written once: the root's four states, each leaf's three
      expect((await store.getTree(plan.root)).seq).to.equal(4 + 3 * 2);
    });
  });
}
