import { expect } from 'chai';
import { makeStore, submit } from '../helpers/store.js';

describe('store smoke', () => {
  it('submits, claims and finishes', async () => {
    const store = makeStore();
    const plan = await submit(store, {
      job: { title: 'root', type: 'noop', children: [{ title: 'a', type: 'noop' }, { title: 'b', type: 'noop' }] },
    });
    const claimed = await store.claimJobs('n1', 10, 't1', Date.now());
    expect(claimed).to.have.length(2);
    await store.finishJob({ root: plan.root, id: claimed[0]!.id, token: 't1', outcome: 'SUCCESS', at: Date.now(), result: { x: 1 } });
    const ans = await store.finishJob({ root: plan.root, id: claimed[1]!.id, token: 't1', outcome: 'SUCCESS', at: Date.now(), claimFor: 'n1' });
    expect(ans.next?.id).to.equal(plan.root);
    expect(ans.next?.children).to.have.length(2);
    await store.finishJob({ root: plan.root, id: plan.root, token: 't1', outcome: 'SUCCESS', at: Date.now(), summary: 'done' });
    const tree = await store.getTree(plan.root);
    expect(tree.state).to.equal('SUCCESS');
    expect(tree.job.children).to.have.length(2);
    const list = await store.listTrees({ tags: [], limit: 10 });
    expect(list.trees[0]?.summary).to.equal('done');
  });
});
