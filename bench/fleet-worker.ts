/**
 * Several real jobtree agents in one process, for the many-nodes figures
 * of issue 16 (SPEC §17): each its own node name, data dir, Redis
 * connections and API server, with the default claim and heartbeat
 * settings and one slot. Started by many-agents.ts with:
 * <redisUrl> <prefix> <count> <first index> <dataDir>, and by
 * cluster-run.ts with [cluster] [slots]: the first argument is then the
 * cluster's URLs, comma-separated (SPEC §17, a ShardedStore).
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { Agent, loadConfig, serveApi, ShardedStore } from './dist.js';

/** Agents started at once: more would only queue on the two cores. */
const STARTING = 10;

interface Place {
  redisUrl: string;
  cluster: boolean;
  slots: string;
}

async function startAgent(place: Place, prefix: string, node: string, dataDir: string) {
  const config = loadConfig({
    env: {
      JOBTREE_NODE: node,
      JOBTREE_PORT: '0',
      JOBTREE_DATA_DIR: join(dataDir, node),
      JOBTREE_CONCURRENCY: place.slots,
      JOBTREE_REDIS_PREFIX: prefix,
      JOBTREE_LOG_LEVEL: 'warn',
    },
  });
  const store = place.cluster
    ? new ShardedStore({ kind: 'cluster', nodes: place.redisUrl.split(',') }, prefix)
    : new ShardedStore(place.redisUrl, prefix);
  const agent = new Agent({
    config,
    store,
    logger: pino({ level: 'warn' }),
    api: serveApi,
    env: process.env,
  });
  await agent.start();
  return { agent, store };
}

async function main(): Promise<void> {
  const [redisUrl = '', prefix = '', count = '1', first = '0', dataDir = '', cluster, slots] =
    process.argv.slice(2);
  const place = { redisUrl, cluster: cluster === 'cluster', slots: slots ?? '1' };
  const names = Array.from({ length: Number(count) }, (_, i) => `fleet-${Number(first) + i}`);
  const agents: Array<Awaited<ReturnType<typeof startAgent>>> = [];
  for (let i = 0; i < names.length; i += STARTING) {
    const batch = names.slice(i, i + STARTING);
    agents.push(...(await Promise.all(batch.map((n) => startAgent(place, prefix, n, dataDir)))));
  }
  process.send?.({ type: 'ready' });
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'cpu') {
      const u = process.cpuUsage();
      process.send?.({ type: 'cpu', us: u.user + u.system });
    }
    if (msg.type === 'stop') {
      void Promise.all(
        agents.map(({ agent, store }) => agent.stop().then(() => store.close())),
      ).then(() => process.exit(0));
    }
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
