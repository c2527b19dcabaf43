/**
 * The store on a real 3-master Redis Cluster (SPEC §17): every script runs
 * inside one slot (a cross-slot or non-local key is an error there), each
 * tree lives in the shard its ids name, the trees spread over the masters,
 * and what spans shards (claims, listings, node loads, status events) is
 * merged.
 */
import { expect } from 'chai';
import keySlot from 'cluster-key-slot';
import { randomUUID } from 'node:crypto';
import { planChildren } from '../../src/jobtree/plan.js';
import type { StatusEvent, TreeSpec } from '../../src/shared/types.js';
import { CLUSTER_SHARDS, shardOf, shardTags } from '../../src/store/shards.js';
import { clusteredStore, startCluster, type TestCluster } from '../helpers/cluster.js';
import { nodeInfo, runClaimed, submit } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const flat = (leaves: number, tags: Record<string, string> = {}): TreeSpec => ({
  tags,
  job: {
    title: 'root',
    type: 'noop',
    node: 'n1',
    children: Array.from({ length: leaves }, (_, i) => ({ title: `leaf ${i}`, type: 'noop' })),
  },
});

describe('store: on a Redis Cluster of three masters (§17)', function () {
  this.timeout(60000);
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster(3);
  });
  after(() => cluster.destroy());
  const makeClustered = () => clusteredStore(cluster);

  it('runs trees in every shard to SUCCESS, each master serving about a third of the commands', async () => {
    const store = makeClustered();
    const before = await cluster.commandsServed();
    const plans = [];
    for (let i = 0; i < 48; i++) plans.push(await submit(store, flat(5)));
    // the ids name their shard, and the trees went to every shard
    for (const p of plans) for (const j of p.jobs) expect(shardOf(j.id)).to.equal(shardOf(p.root));
    expect(new Set(plans.map((p) => shardOf(p.root))).size).to.be.greaterThan(CLUSTER_SHARDS / 2);
    while ((await runClaimed(store, 'n1', 32)) > 0);
    for (const p of plans) expect((await store.treeState(p.root))?.state).to.equal('SUCCESS');
    const after = await cluster.commandsServed();
    const served = after.map((n, i) => n - (before[i] as number));
    const total = served.reduce((a, b) => a + b, 0);
    for (const n of served) expect(n / total).to.be.within(0.2, 0.47);
  });

  it('lists trees of all shards newest first, each once through the cursor', async () => {
    const store = makeClustered();
    const tag = { app: `list-${randomUUID().slice(0, 8)}` };
    const roots: string[] = [];
    for (let i = 0; i < 23; i++)
      roots.push((await submit(store, flat(1, tag), 'n1', 1000 + i)).root);
    // pages of 1 and 2 end on a shard's cursor (issue 26: they skipped the tree there)
    for (const limit of [1, 2, 5]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listTrees({
          tags: [['app', tag.app]],
          limit,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.trees.map((t) => t.root));
        cursor = page.next ?? undefined;
      } while (cursor);
      expect(seen, `pages of ${limit}`).to.deep.equal([...roots].reverse());
    }
  });

  it('finds, aborts and grafts by a bare id; hears the status of every shard on one subscription', async () => {
    const store = makeClustered();
    const events: StatusEvent[] = [];
    const sub = store.subscribeStatus((e) => events.push(e));
    await sub.ready;
    const plans: Array<Awaited<ReturnType<typeof submit>>> = [];
    for (let i = 0; i < 12; i++) plans.push(await submit(store, flat(2)));
    await waitFor(() => plans.every((p) => events.some((e) => e.root === p.root)), {
      what: 'events of every tree',
    });
    const victim = plans[5]!;
    const leaf = victim.jobs.find((j) => j.parent !== null)!;
    expect((await store.getJob(leaf.id)).root).to.equal(victim.root);
    await store.abortJob(leaf.id, 'test', Date.now());
    expect((await store.treeState(victim.root))?.state).to.equal('ABORTED');
    // a graft's ids go to its tree's shard, so its script stays in one slot
    const other = plans[7]!;
    const target = await store.getJob(other.root);
    const grafted = planChildren(
      [{ title: 'late', type: 'noop' }],
      target,
      store.idSource({ near: other.root }),
    );
    await store.addChildren(
      { root: other.root, target: other.root, ...grafted, maxJobs: 100 },
      Date.now(),
    );
    expect(await store.treeTotal(other.root)).to.equal(4);
    await sub.close();
  });

  it('keeps pools with the trees that hold their slots, and sums a node load over the shards', async () => {
    const store = makeClustered();
    await store.pools.set('gpu', 1, undefined);
    const spec: TreeSpec = {
      job: {
        title: 'r',
        type: 'noop',
        node: 'n1',
        children: [
          { title: 'a', type: 'noop', pool: 'gpu' },
          { title: 'b', type: 'noop', pool: 'gpu' },
        ],
      },
    };
    const plan = await submit(store, spec);
    expect(shardOf(plan.root)).to.equal(0); // the home shard, where the pool is
    expect((await store.claimJobs('n1', 10, 'tok', Date.now())).length).to.equal(1); // one slot
    for (let i = 0; i < 6; i++) await submit(store, flat(2));
    await store.registerNode(nodeInfo('n1'), 10000);
    const [n1] = await store.listNodes(Date.now());
    expect(n1?.running).to.equal(1);
    expect(n1?.queued).to.equal(await store.queueDepth('n1'));
    expect(n1?.queued).to.be.at.least(12);
  });
  it('follows a shard moved to another master between two calls (MOVED), with no error', async () => {
    const store = makeClustered();
    const plans = [];
    for (let i = 0; i < CLUSTER_SHARDS; i++) plans.push(await submit(store, flat(3)));
    expect(await runClaimed(store, 'n1', 20)).to.equal(20);
    const moving = plans[0]!.root;
    const slot = keySlot(`${store.prefix}:{${shardTags()[shardOf(moving)] as string}}:x`);
    const from = await cluster.masterOf(slot);
    const to = cluster.ports.find((p) => p !== from) as number;
    await cluster.moveSlot(slot, to);
    expect(await cluster.masterOf(slot)).to.equal(to);
    while ((await runClaimed(store, 'n1', 32)) > 0);
    for (const p of plans) expect((await store.treeState(p.root))?.state).to.equal('SUCCESS');
    await cluster.moveSlot(slot, from); // as it was, for the other cases
  });
});
