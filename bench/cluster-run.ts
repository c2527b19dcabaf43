/**
 * SPEC §17 Redis Cluster, for `npm run bench -- --only cluster`: the same
 * run on one Redis and on a local Redis Cluster of three masters — many
 * trees of `*` noop leaves submitted at once, run by four agents of eight
 * slots each in one fleet process — with the commands each server served.
 * On a cluster each master should serve about a third of them: the trees
 * spread over the shards, the shards over the masters.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { planTree } from '../src/jobtree/plan.js';
import { ShardedStore } from '../src/store/sharded-store.js';
import type { Store } from '../src/store/store.js';
import { startCluster } from '../test/helpers/cluster.js';
import { destroyRedis, startRedis } from '../test/helpers/redis.js';
import { Fleet } from './many-agents.js';
import { BENCH_DIR, round } from './rig.js';
import { Redis } from 'ioredis';

const TREES = 60;
const LEAVES = 50;
const AGENTS = 4;
const SLOTS = 8;

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

async function commandsOf(ports: number[]): Promise<number[]> {
  return Promise.all(
    ports.map(async (port) => {
      const r = new Redis(port);
      const text = await r.info('commandstats');
      r.disconnect();
      return [...text.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    }),
  );
}

/** Submits every tree at once and waits for all of them to succeed; the run's milliseconds. */
async function runTrees(store: Store): Promise<number> {
  const pending = new Set<string>();
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const sub = store.subscribeStatus((e) => {
    if (e.job === e.root && e.state === 'SUCCESS' && pending.delete(e.root) && pending.size === 0)
      done();
  });
  await sub.ready;
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: TREES }, async () => {
      const spec = {
        job: {
          title: 'root',
          type: 'noop',
          node: '*',
          children: Array.from({ length: LEAVES }, (_, i) => ({
            title: `leaf ${i}`,
            type: 'noop',
          })),
        },
      };
      const plan = planTree(spec, { acceptingNode: 'bench', newId: store.idSource({}) });
      pending.add(plan.root);
      await store.submitTree({
        root: plan.root,
        title: 'root',
        node: '*',
        tags: {},
        context: {},
        jobs: plan.jobs,
        at: Date.now(),
      });
    }),
  );
  await all;
  const ms = nowMs() - t0;
  await sub.close();
  return ms;
}

async function measureOn(
  backend: string,
  place: { urls: string[]; ports: number[]; cluster: boolean },
) {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  mkdirSync(BENCH_DIR, { recursive: true });
  const dataDir = mkdtempSync(join(BENCH_DIR, 'cluster-'));
  const store: Store = place.cluster
    ? new ShardedStore({ kind: 'cluster', nodes: place.urls }, prefix)
    : new ShardedStore(place.urls[0] as string, prefix);
  const fleet = await Fleet.start(place.urls.join(','), prefix, AGENTS, dataDir, {
    cluster: place.cluster,
    slots: SLOTS,
  });
  try {
    const before = await commandsOf(place.ports);
    const ms = await runTrees(store);
    const after = await commandsOf(place.ports);
    const served = after.map((n, i) => n - (before[i] as number));
    const total = served.reduce((a, b) => a + b, 0);
    const jobs = TREES * (LEAVES + 1);
    return {
      backend,
      trees: TREES,
      jobs,
      total_ms: round(ms),
      jobs_per_s: round((jobs / ms) * 1000, 1),
      commands_per_server: served,
      share_per_server: served.map((n) => round(n / total, 3)),
      commands_per_job: round(total / jobs, 2),
    };
  } finally {
    await fleet.stop();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type Figures = Awaited<ReturnType<typeof measureOn>>;

/** One bench line: both runs' figures, side by side. */
function sideBySide(single: Figures, three: Figures): Record<string, number> {
  return {
    trees: single.trees,
    jobs: single.jobs,
    one_redis_jobs_per_s: single.jobs_per_s,
    cluster_jobs_per_s: three.jobs_per_s,
    one_redis_commands_per_job: single.commands_per_job,
    cluster_commands_per_job: three.commands_per_job,
    ...Object.fromEntries(
      three.commands_per_server.map((n, i) => [`cluster_commands_master_${i + 1}`, n]),
    ),
    ...Object.fromEntries(
      three.share_per_server.map((x, i) => [`cluster_share_master_${i + 1}`, x]),
    ),
  };
}

/** The run on one Redis, then on three masters. */
export async function clusterFigures(): Promise<Record<string, number>> {
  const one = await startRedis();
  let single;
  try {
    single = await measureOn('one Redis', { urls: [one.url], ports: [one.port], cluster: false });
  } finally {
    await destroyRedis(one);
  }
  const cluster = await startCluster(3);
  try {
    const three = await measureOn('Redis Cluster, 3 masters', {
      urls: cluster.urls,
      ports: cluster.ports,
      cluster: true,
    });
    return sideBySide(single, three);
  } finally {
    await cluster.destroy();
  }
}
