/**
 * The big-tree figures of issue 16 (SPEC §17): a 100,000-job tree (99,999
 * `*` leaves) submitted, 5,000 of its jobs claimed and ended, aborted and
 * deleted through the store, each step timed whole with the longest any
 * one command held Redis during it (SLOWLOG, on the bench's own
 * redis-server only: the threshold is a server setting).
 */
import { Redis } from 'ioredis';
import { planTree } from '../src/jobtree/plan.js';
import { newId } from '../src/shared/ids.js';
import { ShardedStore } from '../src/store/sharded-store.js';
import { runClaimed } from '../test/helpers/store.js';
import { nowMs, round } from './rig.js';

const JOBS = 100_000;

export async function bigTreeFigures(
  redisUrl: string,
  prefix: string,
  ownRedis: boolean,
): Promise<Record<string, number | string>> {
  const admin = new Redis(redisUrl);
  const store = new ShardedStore(redisUrl, prefix);
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
    // each step timed whole, and (own server) the longest command Redis ran during it
    const figures: Record<string, number | string> = { jobs: JOBS };
    const maxima: number[] = [];
    let over1ms = 0;
    const step = async (name: string, work: () => Promise<unknown>): Promise<void> => {
      const t0 = nowMs();
      await work();
      figures[`${name}_ms`] = round(nowMs() - t0);
      if (!ownRedis) return;
      const slow = (await admin.slowlog('GET', 100_000)) as Array<[number, number, number]>;
      await admin.slowlog('RESET');
      const ms = round(Math.max(0, ...slow.map(([, , us]) => us)) / 1000);
      figures[`${name}_longest_command_ms`] = ms;
      maxima.push(ms);
      over1ms += slow.length;
    };
    await step('submit', () => store.submitTree({ ...tree, jobs: plan.jobs, at: Date.now() }));
    await step('run_5000', async () => {
      for (let done = 0; done < 5000;) done += await runClaimed(store, 'bench', 500);
    });
    await step('abort', () => store.abortJob(plan.root, 'bench', Date.now()));
    await step('drain', async () => {
      while ((await store.queueDepth('*')) > 0)
        await store.claimJobs('bench', 10, 'tok', Date.now());
    });
    await step('delete', () => store.deleteTree(plan.root));
    if (ownRedis) {
      figures.redis_longest_command_ms = Math.max(...maxima);
      figures.redis_commands_over_1ms = over1ms;
    }
    return figures;
  } finally {
    await store.close();
    admin.disconnect();
  }
}
