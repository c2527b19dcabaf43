/**
 * SPEC §17: no script of jobtree's does unbounded work, for the biggest
 * tree the limits allow: a 100,000-job tree is submitted, grown by the
 * biggest graft allowed under its 99,499-child root, partly run, aborted
 * and deleted, and each step that touches all of its jobs takes at least
 * one script call per 1,000 of them (Redis counts the calls:
 * INFO commandstats), so none holds Redis for the whole tree. How long the
 * longest call takes is the benchmark's (`npm run bench -- --only big`,
 * `*_longest_command_ms`): milliseconds depend on the host, a bound on
 * work does not (STYLE: time is not a test oracle).
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { LIMITS } from '../../src/jobtree/limits.js';
import { planChildren } from '../../src/jobtree/plan.js';
import { newId } from '../../src/shared/ids.js';
import type { JobSpec } from '../../src/shared/types.js';
import { destroyRedis, startRedis } from '../helpers/redis.js';
import { makeStore, runClaimed, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';

/** Script calls Redis has run so far (EVAL and EVALSHA). */
async function scriptCalls(admin: Redis): Promise<number> {
  const stats = await admin.info('commandstats');
  let calls = 0;
  for (const m of stats.matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+)/gm)) calls += Number(m[1]);
  return calls;
}

/** The most jobs one script call may handle. */
const JOBS_PER_CALL = 1000;

describe('store: bounded scripts at 100,000 jobs (§17)', function () {
  this.timeout(120000);

  it('handles at most 1,000 jobs a script while a 100,000-job tree is submitted, grown, run, aborted and deleted', async () => {
    const redis = track(await startRedis(), destroyRedis);
    const admin = track(new Redis(redis.url), (r) => r.disconnect());
    const calls: Record<string, number> = {};
    let last = await scriptCalls(admin);
    const step = async (name: string): Promise<void> => {
      const now = await scriptCalls(admin);
      calls[name] = now - last;
      last = now;
    };
    const store = makeStore(redis.url, `jt-${randomUUID()}`);
    const grafted = LIMITS.maxGraftJobs;
    const children: JobSpec[] = Array.from({ length: 99_999 - grafted }, (_, i) => ({
      title: `job ${i}`,
      type: 'noop',
      node: '*',
    }));
    const plan = await submit(store, {
      tags: { app: 'big' },
      job: { title: 'root', type: 'noop', node: 'n1', children },
    });
    await step('submit');
    expect(await store.queueDepth('*')).to.equal(99_999 - grafted);
    // a graft under the root of 99,499 children never reads or rewrites that list (`grafts`)
    const root = await store.getJob(plan.root);
    const more = Array.from({ length: grafted }, (_, i) => ({ title: `g${i}`, type: 'noop' }));
    const { jobs, direct } = planChildren(more, root, newId);
    await store.addChildren(
      { root: plan.root, target: plan.root, jobs, direct, maxJobs: LIMITS.maxJobs },
      Date.now(),
    );
    expect(await store.treeTotal(plan.root)).to.equal(100_000);
    const page = await store.getChildren(plan.root, plan.root, undefined, 1);
    expect(page.jobs[0]?.title).to.equal('job 0');
    const paged = await store.getTree(plan.root, { depth: 1, limit: 1 });
    expect(paged.job.childCount).to.equal(99_999);
    for (let round = 0; round < 10; round++) {
      expect(await runClaimed(store, `n${round % 4}`, 500)).to.equal(500);
    }
    const listed = await store.listTrees({ tags: [['app', 'big']], limit: 10 });
    expect(listed.trees[0]?.counts).to.deep.include({ SUCCESS: 5000 });
    last = await scriptCalls(admin);
    await store.abortJob(plan.root, 'test', Date.now());
    await step('abort');
    expect((await store.treeState(plan.root))?.state).to.equal('ABORTED');
    // the aborted jobs' queue entries are dropped by the claims that meet them, a bounded pass each
    while ((await store.queueDepth('*')) > 0) await store.claimJobs('n1', 10, 'tok', Date.now());
    last = await scriptCalls(admin);
    expect(await store.deleteTree(plan.root)).to.equal(100_000);
    await step('delete');
    // every step over the whole tree: at least a call per 1,000 jobs (the submission: 99,499 + 1)
    for (const name of ['submit', 'abort', 'delete'])
      expect(calls[name], `${name}: ${calls[name]} script calls`).to.be.at.least(
        100_000 / JOBS_PER_CALL,
      );
  });
});
