/**
 * A big tree stored in steps (SPEC §17: no script holds Redis long): out of
 * sight until one short commit, then every job announced once, parents
 * before children and before anything else is said of it, then its leaves
 * queued; a refused commit leaves nothing; an abort while jobs are still
 * being announced is a 503 TREE_STORING; a submitter that dies after the
 * commit leaves the rest to continueStoring.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { planTree } from '../../src/jobtree/plan.js';
import { UnavailableError } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import type { JobSpec } from '../../src/shared/types.js';
import { encodePlanned } from '../../src/store/codec.js';
import { createScriptClient } from '../../src/store/redis-client.js';
import { STAGE_ABOVE, STAGE_CHUNK, submissionStats } from '../../src/store/staged-submit.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { makeStore, runClaimed, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

/** 50 groups of 60 leaves under the root: 3,051 jobs, more than a stage chunk. */
function big(node = 'n1'): JobSpec {
  const group = (g: number): JobSpec => ({
    title: `group ${g}`,
    type: 'noop',
    children: Array.from({ length: 60 }, (_, i) => ({ title: `leaf ${g}.${i}`, type: 'noop' })),
  });
  return {
    title: 'root',
    type: 'noop',
    node,
    children: Array.from({ length: 50 }, (_, g) => group(g)),
  };
}
const TOTAL = 1 + 50 + 50 * 60;

describe('store: a big tree stored in steps (§17)', function () {
  this.timeout(30000);

  it('announces every job once, parents first, before a job of it runs, and runs it whole', async () => {
    expect(TOTAL).to.be.above(STAGE_ABOVE);
    const store = makeStore(testRedisUrl(), `jt-${randomUUID()}`);
    const events = await collectEvents(store);
    const plan = await submit(store, { tags: { size: 'big' }, job: big() });
    await waitFor(() => events.events.length >= TOTAL, { what: 'every creation message' });
    const created = events.events.slice(0, TOTAL);
    expect(created.every((e) => e.prev === null)).to.equal(true);
    expect(created.map((e) => e.seq)).to.deep.equal(Array.from({ length: TOTAL }, (_, i) => i + 1));
    const at = new Map(created.map((e, i) => [e.job, i]));
    for (const j of plan.jobs) if (j.parent) expect(at.get(j.parent)).to.be.below(at.get(j.id)!);
    const listed = await store.listTrees({ tags: [['size', 'big']], limit: 5 });
    expect(listed.trees.map((t) => [t.root, t.counts])).to.deep.equal([
      [plan.root, { WAITING: 51, QUEUED: 3000 }],
    ]);
    expect(await store.queueDepth('n1')).to.equal(3000);
    while ((await runClaimed(store, 'n1', 500)) > 0);
    expect((await store.getTree(plan.root)).state).to.equal('SUCCESS');
    expect((await store.getJob(plan.jobs[TOTAL - 1]!.id)).state).to.equal('SUCCESS');
  });

  it("gives a parent of 2,000 children every child's result, read outside the claim", async () => {
    const store = makeStore(testRedisUrl(), `jt-${randomUUID()}`);
    const children = Array.from({ length: 2000 }, (_, i) => ({
      title: `c${i}`,
      type: 'noop',
      key: `k${i}`,
    }));
    const plan = await submit(store, {
      job: { title: 'fan-in', type: 'noop', node: 'n1', children },
    });
    const leaves = await store.claimJobs('n1', 2000, 'tok', Date.now());
    await store.finishJobs(
      leaves.map((c, i) => ({
        root: c.root,
        id: c.id,
        token: 'tok',
        outcome: 'SUCCESS' as const,
        at: Date.now(),
        result: { i },
      })),
    );
    const [root] = await store.claimJobs('n1', 1, 'tok', Date.now());
    expect(root?.id).to.equal(plan.root);
    expect(root?.children).to.have.length(2000);
    const byKey = new Map(root!.children.map((c) => [c.key, c.result]));
    expect(byKey.get('k1999')).to.deep.equal({ i: leaves.findIndex((l) => l.title === 'c1999') });
  });

  it('leaves nothing behind when the commit is refused', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    const raw = track(createScriptClient(testRedisUrl()), (r) => r.disconnect());
    const plan = planTree({ job: big() }, { acceptingNode: 'n1', newId });
    const refused = await store
      .submitTree({
        root: plan.root,
        title: 'root',
        node: 'n1',
        tags: {},
        context: {},
        jobs: plan.jobs,
        at: Date.now(),
        maxQueued: 100,
      })
      .catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(UnavailableError).with.property('code', 'BACKLOG_FULL');
    expect(await raw.keys(`${prefix}:*`)).to.deep.equal([]);
  });

  it('refuses an abort while jobs are announced, and a dead submitter is finished by another', async () => {
    const prefix = `jt-${randomUUID()}`;
    const store = makeStore(testRedisUrl(), prefix);
    const raw = track(createScriptClient(testRedisUrl()), (r) => r.disconnect());
    const plan = planTree({ job: big() }, { acceptingNode: 'n1', newId });
    const key = `${prefix}:{${plan.root}}:tree`;
    const now = Date.now();
    // a submitter that stages and commits, then dies
    for (let i = 0; i < plan.jobs.length; i += STAGE_CHUNK) {
      const chunk = JSON.stringify(plan.jobs.slice(i, i + STAGE_CHUNK).map(encodePlanned));
      expect(
        await raw.stageJobs(key, prefix, plan.root, now, chunk, 60000, i === 0 ? '1' : ''),
      ).to.equal(1);
    }
    const tree = JSON.stringify({ title: 'root', node: 'n1', tags: '{}', context: [] });
    const stats = JSON.stringify(submissionStats(plan.jobs));
    expect(await raw.commitTree(key, prefix, plan.root, now, tree, stats, 0, '', '')).to.equal(1);
    const early = await store.abortJob(plan.root, 'alice', now).catch((e: unknown) => e);
    expect(early).to.be.instanceOf(UnavailableError).with.property('code', 'TREE_STORING');
    expect(await store.claimJobs('n1', 10, 'tok', now)).to.deep.equal([]); // nothing queued yet
    expect(await store.continueStoring(now + 1, 60000)).to.equal(0); // not idle long enough
    expect(await store.continueStoring(now + 60001, 60000)).to.equal(1);
    expect(await store.queueDepth('n1')).to.equal(3000);
    await store.abortJob(plan.root, 'alice', now + 2);
    expect((await store.getTree(plan.root)).state).to.equal('ABORTED');
    expect(await raw.zcard(`${prefix}:storing`)).to.equal(0);
  });
});
