/**
 * store.forgetNode (SPEC §9: nothing in Redis grows without bound): a node
 * silent for longer than the cutoff leaves the registry with every key it
 * made, unless it is alive or jobs still wait for it or run on it.
 */
import { expect } from 'chai';
import { dumpPrefix } from '../helpers/redis-dump.js';
import { makeStore, nodeInfo, submit } from '../helpers/store.js';

/** Registers `name`, then stops it cleanly (its heartbeat key goes at once). */
async function stoppedNode(store: ReturnType<typeof makeStore>, name: string): Promise<void> {
  await store.registerNode(nodeInfo(name), 10_000);
  await store.unregisterNode(name, `run-${name}`);
}

const names = async (store: ReturnType<typeof makeStore>) =>
  (await store.listNodes(Date.now())).map((n) => n.name);

describe('store.forgetNode', () => {
  it('forgets a node silent since before the cutoff, with every key it made', async () => {
    const store = makeStore();
    await stoppedNode(store, 'old');
    await stoppedNode(store, 'kept');
    expect(await store.forgetNode('old', Date.now() + 1)).to.equal(true);
    expect(await names(store)).to.deep.equal(['kept']);
    const keys = [...(await dumpPrefix(store.prefix)).keys()];
    expect(keys.filter((k) => k.includes('old'))).to.deep.equal([]);
    // it comes back as soon as it beats again
    await store.registerNode(nodeInfo('old'), 10_000);
    expect(await names(store)).to.deep.equal(['kept', 'old']);
  });

  it('keeps a node that beat after the cutoff, or whose heartbeat key lives', async () => {
    const store = makeStore();
    await stoppedNode(store, 'recent');
    await store.registerNode(nodeInfo('live'), 10_000);
    expect(await store.forgetNode('recent', Date.now() - 60_000)).to.equal(false);
    expect(await store.forgetNode('live', Date.now() + 60_000)).to.equal(false);
    expect(await names(store)).to.deep.equal(['live', 'recent']);
  });

  it('keeps a dead node while QUEUED jobs wait for it (§9) or RUNNING ones are unsettled', async () => {
    const store = makeStore();
    await stoppedNode(store, 'waited');
    await stoppedNode(store, 'busy');
    await submit(store, { job: { title: 'for waited', type: 'noop', node: 'waited' } });
    await submit(store, { job: { title: 'on busy', type: 'noop', node: 'busy' } });
    const [running] = await store.claimJobs('busy', 1, 'run-busy', Date.now());
    expect(running).to.not.equal(undefined);

    expect(await store.forgetNode('waited', Date.now() + 1)).to.equal(false);
    expect(await store.forgetNode('busy', Date.now() + 1)).to.equal(false);
    expect(await names(store)).to.deep.equal(['busy', 'waited']);
    expect((await store.listNodes(Date.now())).find((n) => n.name === 'waited')?.queued).to.equal(
      1,
    );

    // once the reaper has settled the running job, nothing holds the node
    expect(await store.reapNode('busy', Date.now())).to.equal(1);
    expect(await store.forgetNode('busy', Date.now() + 1)).to.equal(true);
    expect(await names(store)).to.deep.equal(['waited']);
  });
});
