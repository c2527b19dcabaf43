/**
 * Work for any node wakes idle nodes only (SPEC §17: a `*` job goes to
 * one agent without waking all 100): a node whose claim came back short is
 * on P:idle with its free slots; a `*` job wakes idle nodes whose free
 * slots cover the jobs queued, each once, never a dead one, and no node
 * when none is idle (busy nodes take any-node work as their slots free).
 */
import { expect } from 'chai';
import { Keys } from '../../src/store/keys.js';
import { makeStore, nodeInfo, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

async function setup() {
  const store = makeStore();
  const keys = new Keys(store.prefix);
  for (const n of NODES) await store.registerNode(nodeInfo(n), 10_000);
  const woken: string[] = [];
  const sub = track(
    store.subscribe(
      [...NODES, '*', 'mark'].map((n) => keys.wakeChannel(n)),
      (channel) => woken.push(channel.slice(channel.lastIndexOf(':') + 1)),
    ),
    (s) => s.close(),
  );
  await sub.ready;
  return { store, woken };
}

/** A marker through the same connection's order: every wake published before it has come. */
async function settled(store: ReturnType<typeof makeStore>, woken: string[]) {
  const before = woken.length;
  await submit(store, { job: { title: 'marker', type: 'noop', node: 'mark' } });
  await waitFor(() => woken.length > before && woken.at(-1) === 'mark', {
    what: 'the marker wake',
  });
  woken.pop();
}

describe('store: work for whichever node wakes idle nodes only (§17)', () => {
  it('wakes one idle node for one * job, and nobody when no node is idle', async () => {
    const { store, woken } = await setup();
    await submit(store, { job: { title: 'anywhere', type: 'noop', node: '*' } });
    await settled(store, woken);
    expect(woken).to.deep.equal([]); // nobody said it was idle: nobody is woken
    await store.claimJobs('n5', 8, 'tok', Date.now()); // takes the * job, 7 slots left
    for (const n of ['n1', 'n2', 'n3'])
      expect(await store.claimJobs(n, 4, 'tok', Date.now())).to.deep.equal([]);
    await submit(store, { job: { title: 'anywhere', type: 'noop', node: '*' } });
    await settled(store, woken);
    expect(woken).to.have.length(1);
    expect(['n1', 'n2', 'n3', 'n5']).to.include(woken[0]);
  });

  it('wakes as many idle nodes as the jobs need, skipping a dead one', async () => {
    const { store, woken } = await setup();
    for (const n of ['n1', 'n2', 'n3', 'n4'])
      expect(await store.claimJobs(n, 2, 'tok', Date.now())).to.deep.equal([]);
    await store.unregisterNode('n2', 'run-n2'); // dead now
    const leaves = Array.from({ length: 4 }, (_, i) => ({
      title: `l${i}`,
      type: 'noop',
      node: '*',
    }));
    await submit(store, { job: { title: 'root', type: 'noop', node: '*', children: leaves } });
    await settled(store, woken);
    expect(woken).to.have.length(2); // 4 jobs, 2 free slots a node
    expect(woken).not.to.include('n2');
    expect(new Set(woken).size).to.equal(2);
  });
});
