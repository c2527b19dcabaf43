/**
 * store.setPaused (SPEC §2: pause works on the whole tree): while a tree is
 * paused none of its jobs starts, whether claimed from a queue or handed to
 * a freed slot, and running ones go on; resuming makes its queued jobs
 * claimable again. No job changes state by either, so nothing goes to the
 * status channel; `<prefix>:paused` says it instead.
 */
import { expect } from 'chai';
import { ConflictError, NotFoundError } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import type { JobSpec, PausedEvent } from '../../src/shared/types.js';
import { claimAll, finish } from '../helpers/drive.js';
import { collectEvents } from '../helpers/events.js';
import { dumpPrefix } from '../helpers/redis-dump.js';
import { makeStore, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

const noop = (title: string, children: JobSpec[] = []): JobSpec => ({
  title,
  type: 'noop',
  children,
});
// r ── a ─┬─ a1
//         └─ a2
const spec = { job: noop('r', [noop('a', [noop('a1'), noop('a2')])]) };

async function setup() {
  const store = makeStore();
  const plan = await submit(store, spec);
  const id = (t: string) => plan.jobs.find((j) => j.title === t)!.id;
  return { store, root: plan.root, id };
}

const single = { job: { title: 'other', type: 'noop' } };

describe('store.setPaused', () => {
  it('starts no job of a paused tree from the queue; other trees’ jobs are claimed past it', async () => {
    const { store, root, id } = await setup();
    const events = await collectEvents(store);
    const pauses: PausedEvent[] = [];
    const sub = track(
      store.subscribeStatus(
        () => undefined,
        (e) => pauses.push(e),
      ),
      (s) => s.close(),
    );
    await sub.ready;
    expect(await store.setPaused(root, true, Date.now())).to.equal(true);
    const other = await submit(store, single);
    const claimed = await claimAll(store);
    expect(claimed.map((j) => j.id)).to.deep.equal([other.root]);
    expect((await store.getJob(id('a1'))).state).to.equal('QUEUED');
    expect((await store.getTree(root)).paused).to.equal(true);
    const [row] = (await store.listTrees({ tags: [], limit: 5 })).trees.filter(
      (t) => t.root === root,
    );
    expect(row?.paused).to.equal(true);

    expect(await store.setPaused(root, false, Date.now())).to.equal(true);
    expect((await claimAll(store)).map((j) => j.id).sort()).to.deep.equal(
      [id('a1'), id('a2')].sort(),
    );
    expect((await store.getTree(root)).paused).to.equal(false);
    // the claims while paused moved no job: the tree's only events since are the two claims
    for (const job of [id('a1'), id('a2')])
      await events.until((e) => e.job === job && e.state === 'RUNNING');
    const treeEvents = events.events.filter((e) => e.root === root);
    expect(treeEvents.map((e) => e.state)).to.deep.equal(['RUNNING', 'RUNNING']);
    expect(treeEvents.map((e) => e.seq)).to.deep.equal([5, 6]); // 4 at submission, then the claims
    // live views learn of it on <prefix>:paused instead
    await waitFor(() => pauses.length === 2, { what: 'two paused messages' });
    expect(pauses.map((e) => [e.root, e.paused])).to.deep.equal([
      [root, true],
      [root, false],
    ]);
  });

  it('lets running jobs finish but hands no freed parent to the slot while paused', async () => {
    const { store, root, id } = await setup();
    await claimAll(store);
    await store.setPaused(root, true, Date.now());
    await finish(store, root, id('a1'));
    const ans = await finish(store, root, id('a2'), 'SUCCESS', { claimFor: 'n1' });
    expect(ans.state).to.equal('SUCCESS');
    expect(ans.next).to.equal(null);
    expect((await store.getJob(id('a'))).state).to.equal('QUEUED');
    expect(await claimAll(store)).to.deep.equal([]);

    await store.setPaused(root, false, Date.now());
    const [next] = await claimAll(store);
    expect(next?.id).to.equal(id('a'));
    expect(next?.children.map((c) => c.id).sort()).to.deep.equal([id('a1'), id('a2')].sort());
  });

  it('an abort ends the parked jobs of a paused tree, and deleting it leaves no parked list', async () => {
    const { store, root, id } = await setup();
    await store.setPaused(root, true, Date.now());
    expect(await claimAll(store)).to.deep.equal([]); // a1 and a2 parked
    await store.abortJob(root, 'user', Date.now());
    const tree = await store.getTree(root);
    expect(tree.state).to.equal('ABORTED');
    expect(tree.paused).to.equal(false);
    expect((await store.getJob(id('a1'))).state).to.equal('ABORTED');
    expect(await store.deleteTree(root)).to.equal(4);
    const keys = [...(await dumpPrefix(store.prefix)).keys()];
    expect(keys.filter((k) => k.includes(root))).to.deep.equal([]);
  });

  it('answers false when nothing changes, 409 on a finished tree, 404 on an unknown one', async () => {
    const { store, root } = await setup();
    expect(await store.setPaused(root, false, Date.now())).to.equal(false);
    expect(await store.setPaused(root, true, Date.now())).to.equal(true);
    expect(await store.setPaused(root, true, Date.now())).to.equal(false);
    await store.abortJob(root, 'user', Date.now());
    for (const paused of [true, false]) {
      const err = await store.setPaused(root, paused, Date.now()).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ConflictError);
      expect((err as ConflictError).code).to.equal('TREE_FINISHED');
    }
    const unknown = await store.setPaused(newId(), true, Date.now()).catch((e: unknown) => e);
    expect(unknown).to.be.instanceOf(NotFoundError);
  });
});
