/**
 * SPEC §17: no script or command of jobtree's holds Redis for more than
 * 50 ms, for the biggest tree the limits allow. A private redis-server logs
 * every command slower than that (`slowlog-log-slower-than 50000`) while a
 * 100,000-job tree is submitted, grown by the biggest graft allowed under
 * its 99,499-child root, partly run, aborted and deleted; the log must stay
 * empty.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createHash, randomUUID } from 'node:crypto';
import { LIMITS } from '../../src/jobtree/limits.js';
import { planChildren } from '../../src/jobtree/plan.js';
import { newId } from '../../src/shared/ids.js';
import { readScripts } from '../../src/store/load-scripts.js';
import type { JobSpec } from '../../src/shared/types.js';
import { destroyRedis, startRedis } from '../helpers/redis.js';
import { makeStore, runClaimed, submit } from '../helpers/store.js';
import { track } from '../helpers/track.js';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

describe('store: bounded scripts at 100,000 jobs (§17)', function () {
  this.timeout(120000);

  it('never holds Redis 50 ms while a 100,000-job tree is submitted, grown, run, aborted and deleted', async () => {
    const redis = track(await startRedis(), destroyRedis);
    const admin = track(new Redis(redis.url), (r) => r.disconnect());
    await admin.config('SET', 'slowlog-log-slower-than', '50000');
    await admin.slowlog('RESET');
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
    await store.abortJob(plan.root, 'test', Date.now());
    expect((await store.treeState(plan.root))?.state).to.equal('ABORTED');
    // the aborted jobs' queue entries are dropped by the claims that meet them, a bounded pass each
    while ((await store.queueDepth('*')) > 0) await store.claimJobs('n1', 10, 'tok', Date.now());
    expect(await store.deleteTree(plan.root)).to.equal(100_000);
    const slow = (await admin.slowlog('GET', 100)) as Array<[number, number, number, string[]]>;
    // a script's sha (EVALSHA) or its text (EVAL, its first call) named by its file
    const names = new Map(readScripts().map((x) => [sha1(x.lua), x.name]));
    // SLOWLOG cuts a long argument to its start: an EVAL is named by its script's first bytes
    const scripts = readScripts();
    const named = (args: string[]) => {
      const text = args[1] ?? '';
      if (args[0]?.toLowerCase() !== 'eval') return names.get(text) ?? args.slice(0, 2).join(' ');
      const start = text.replace(/\.\.\. \(\d+ more bytes\)$/, '');
      return `${scripts.find((x) => x.lua.startsWith(start))?.name ?? 'a script'} (its first call)`;
    };
    const described = slow.map(([, , us, args]) => `${Math.round(us / 1000)} ms: ${named(args)}`);
    expect(described).to.deep.equal([]);
  });
});
