/**
 * The big-tree figures of issue 16 (SPEC §17): a 100,000-job tree (99,999
 * `*` leaves) submitted, 5,000 of its jobs claimed and ended, aborted and
 * deleted through the store, timed whole, and the longest any one command
 * held Redis meanwhile (SLOWLOG, on the bench's own redis-server only: the
 * threshold is a server setting).
 */
import { Redis } from 'ioredis';
import { planTree } from '../src/jobtree/plan.js';
import { newId } from '../src/shared/ids.js';
import { RedisStore } from '../src/store/redis-store.js';
import { runClaimed } from '../test/helpers/store.js';
import { nowMs, round } from './rig.js';

const JOBS = 100_000;

export async function bigTreeFigures(
  redisUrl: string,
  prefix: string,
  ownRedis: boolean,
): Promise<Record<string, number | string>> {
  const admin = new Redis(redisUrl);
  const store = new RedisStore(redisUrl, prefix);
  try {
    if (ownRedis) {
      await admin.config('SET', 'slowlog-log-slower-than', '1000');
      await admin.config('SET', 'slowlog-max-len', '100000');
      await admin.slowlog('RESET');
    }
    const children = Array.from({ length: JOBS - 1 }, (_, i) => ({
      title: `j${i}`,
      type: 'noop',
      node: '*',
    }));
    const plan = planTree(
      { job: { title: 'big', type: 'noop', node: 'bench', children } },
      { acceptingNode: 'bench', newId },
    );
    const tree = { root: plan.root, title: 'big', node: 'bench', tags: {}, context: {} };
    const t0 = nowMs();
    await store.submitTree({ ...tree, jobs: plan.jobs, at: Date.now() });
    const t1 = nowMs();
    for (let done = 0; done < 5000;) done += await runClaimed(store, 'bench', 500);
    const t2 = nowMs();
    await store.abortJob(plan.root, 'bench', Date.now());
    const t3 = nowMs();
    while ((await store.queueDepth('*')) > 0) await store.claimJobs('bench', 10, 'tok', Date.now());
    const t4 = nowMs();
    await store.deleteTree(plan.root);
    const t5 = nowMs();
    const figures: Record<string, number | string> = {
      jobs: JOBS,
      submit_ms: round(t1 - t0),
      run_5000_ms: round(t2 - t1),
      abort_ms: round(t3 - t2),
      drain_ms: round(t4 - t3),
      delete_ms: round(t5 - t4),
    };
    if (ownRedis) {
      const slow = (await admin.slowlog('GET', 100_000)) as Array<[number, number, number]>;
      figures.redis_longest_command_ms = round(Math.max(0, ...slow.map(([, , us]) => us)) / 1000);
      figures.redis_commands_over_1ms = slow.length;
    }
    return figures;
  } finally {
    await store.close();
    admin.disconnect();
  }
}
