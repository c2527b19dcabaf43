/**
 * store.listTrees (SPEC §7 GET /trees): AND over tags, state filter,
 * newest first, cursor pages that never repeat or skip a tree.
 */
import { expect } from 'chai';
import { ValidationError } from '../../src/shared/errors.js';
import { claimAll, finish } from '../helpers/drive.js';
import { makeStore, submit } from '../helpers/store.js';

describe('store.listTrees', () => {
  it('returns trees carrying all given tags, newest first', async () => {
    const store = makeStore();
    const mk = (tags: Record<string, string>, at: number) =>
      submit(store, { tags, job: { title: `t${at}`, type: 'noop' } }, 'n1', at);
    await mk({ workspace: 'acme', application: 'shop' }, 1000);
    await mk({ workspace: 'acme', application: 'blog' }, 2000);
    await mk({ workspace: 'other', application: 'shop' }, 3000);
    await mk({ workspace: 'acme', application: 'shop', version: '2' }, 4000);
    const res = await store.listTrees({
      tags: [
        ['workspace', 'acme'],
        ['application', 'shop'],
      ],
      limit: 10,
    });
    expect(res.trees.map((t) => t.title)).to.deep.equal(['t4000', 't1000']);
    expect(res.next).to.equal(null);
    expect((await store.listTrees({ tags: [], limit: 10 })).trees).to.have.length(4);
  });

  it('filters by tree state', async () => {
    const store = makeStore();
    const done = await submit(store, { tags: { k: 'v' }, job: { title: 'done', type: 'noop' } });
    await claimAll(store);
    await finish(store, done.root, done.root);
    await submit(store, { tags: { k: 'v' }, job: { title: 'open', type: 'noop' } });
    const ok = await store.listTrees({ tags: [['k', 'v']], state: 'SUCCESS', limit: 10 });
    expect(ok.trees.map((t) => t.title)).to.deep.equal(['done']);
    const running = await store.listTrees({ tags: [], state: 'RUNNING', limit: 10 });
    expect(running.trees.map((t) => t.title)).to.deep.equal(['open']);
  });

  it('pages with a cursor through trees created in the same millisecond', async () => {
    const store = makeStore();
    for (let i = 0; i < 25; i++)
      await submit(
        store,
        { tags: { k: 'v' }, job: { title: `t${i}`, type: 'noop' } },
        'n1',
        5000 + (i % 3),
      );
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await store.listTrees({
        tags: [['k', 'v']],
        limit: 7,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...res.trees.map((t) => t.root));
      const created = res.trees.map((t) => t.createdAt);
      expect([...created].sort((a, b) => b - a)).to.deep.equal(created);
      if (!res.next) break;
      cursor = res.next;
    }
    expect(seen).to.have.length(25);
    expect(new Set(seen).size).to.equal(25);
  });

  it('walks an index in batches past ties of every size, each entry once (§17: no offset scan)', async () => {
    const store = makeStore();
    const at = (i: number) => (i < 250 ? 9000 : 8000 + (i % 5)); // 250 in one millisecond
    for (let i = 0; i < 450; i++)
      await submit(store, { tags: { k: 'w' }, job: { title: `t${i}`, type: 'noop' } }, 'n1', at(i));
    const all = await store.listTrees({ tags: [['k', 'w']], limit: 1000 });
    expect(new Set(all.trees.map((t) => t.root)).size).to.equal(450);
    const created = all.trees.map((t) => t.createdAt);
    expect([...created].sort((a, b) => b - a)).to.deep.equal(created);
    expect(all.next).to.equal(null);
  });

  it('rejects a cursor it did not make', async () => {
    const store = makeStore();
    const err = await store
      .listTrees({ tags: [], limit: 5, cursor: '../x' })
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ValidationError);
  });
});
