/**
 * `npm run bench -- [--redis URL] [--runs N] [--warmup N] [--only flat,flat_module,flat_shell,flat_line,flat_line_noarchive,tree,chain,latency,logs,merged,search,abort,big,ui,agents,cluster,attacks] [--conc 1,16] [--keep-data]`
 *
 * Measures jobtree on the peer's scenarios (../shared/bench/bullmq): one
 * agent process (agent-worker.ts), trees submitted through its HTTP API,
 * a tree's end when the agent learns its root succeeded (as the peer's
 * worker reports its flows), latency by a plain Redis subscriber on the
 * status channel.
 * Prints one JSON line per measurement and a last `summary` line of
 * medians. Each measurement also gives the CPU per job it cost the agent
 * process (all threads) and Redis, so a slower figure can be told apart
 * from a busier machine. Without --redis it starts a private
 * redis-server; with --redis it writes only keys under a fresh prefix,
 * deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { startRedis, destroyRedis, type TestRedis } from '../test/helpers/redis.js';
import { attackFigures } from './attacks.js';
import { bigTreeFigures } from './big-tree.js';
import { logFigures } from './log-scenarios.js';
import { mergedTailFigures, searchFigures } from './cluster-logs.js';
import { clusterFigures } from './cluster-run.js';
import { manyAgentsFigures } from './many-agents.js';
import { uiOpenFigures } from './ui-open.js';
import { BENCH_DIR, median, percentile, Rig, round } from './rig.js';
import type { JobSpec } from '../src/shared/types.js';
import { chain, completeTree, countJobs, flatTree } from './scenarios.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

type Measurement = Record<string, number | string>;

/** Whether the bench started its own redis-server (server settings may then be changed). */
let ownRedis = false;
/** No-op jobs run before each measurement (the peer's --warmup, default 300). */
const warmup = Number(arg('warmup', '300'));

/** The tree each throughput scenario runs. */
const TREES: Record<string, () => JobSpec> = {
  flat: () => flatTree(10_000),
  flat_module: () => flatTree(10_000, 'bench-noop'),
  flat_shell: () => flatTree(1_000, 'shell'),
  // SPEC §19: a line of output a job, with the archive (the default) and without
  flat_line: () => flatTree(10_000, 'say'),
  flat_line_noarchive: () => flatTree(10_000, 'say'),
  tree: () => completeTree(10, 3),
  chain: () => chain(64),
};

/** Runs one scenario on a fresh agent; its figures, and the CPU its jobs took. */
async function scenarioFigures(rig: Rig, scenario: string, conc: number): Promise<Measurement> {
  if (scenario === 'abort') {
    // issue 14: a 1,000-job tree with `conc` jobs running (half shell, half sleep), aborted
    const leaves = Array.from({ length: 999 }, (_, i) => ({
      title: `j${i}`,
      type: i % 2 === 0 ? 'shell' : 'sleep',
      params: i % 2 === 0 ? { command: 'sleep 30' } : { ms: 30_000 },
    }));
    const ms = (
      await rig.abortLatencies({ title: 'abort me', type: 'noop', children: leaves }, conc)
    ).sort((a, b) => a - b);
    return {
      running: conc,
      first_ms: round(ms[0] ?? NaN),
      median_ms: round(median(ms)),
      last_ms: round(ms.at(-1) ?? NaN),
    };
  }
  if (scenario === 'latency') {
    await rig.latency(30); // the peer's latency warm-up, left out of the figures as there
    const { figures: ids, cpu } = await withCpu(rig, 200, () => rig.latencySamples(200));
    const lat = await rig.latencies(ids);
    return { median_ms: round(median(lat)), p99_ms: round(percentile(lat, 99)), ...cpu };
  }
  const spec = (TREES[scenario] ?? TREES.chain!)();
  const jobs = countJobs(spec);
  const { figures: timed, cpu } = await withCpu(rig, jobs, () => rig.timeTree(spec));
  const total = timed.total;
  if (scenario.startsWith('flat'))
    return {
      total_ms: round(total),
      submit_ms: round(timed.submit),
      jobs_per_s: round(jobs / (total / 1000), 1),
      ...cpu,
    };
  // SPEC §3 caps depth at 64, so the chain is 64 long (the peer's is 200); per level compares.
  if (scenario === 'chain')
    return { levels: jobs, total_ms: round(total), per_level_ms: round(total / jobs), ...cpu };
  return { jobs, total_ms: round(total), ...cpu };
}

/**
 * Runs `measure` and adds the CPU per job it cost: the agent process (all
 * threads) and Redis. On two cores, what the two take together bounds the
 * throughput, whichever process is waiting for which.
 */
async function withCpu<T>(
  rig: Rig,
  jobs: number,
  measure: () => Promise<T>,
): Promise<{ figures: T; cpu: Measurement }> {
  const before = await rig.cpu();
  const figures = await measure();
  const after = await rig.cpu();
  const perJob = (us: number): number => round(us / jobs, 1);
  return {
    figures,
    cpu: {
      agent_cpu_us_per_job: perJob(after.agent - before.agent),
      redis_cpu_us_per_job: perJob(after.redis - before.redis),
    },
  };
}

async function deletePrefix(redisUrl: string, prefix: string): Promise<void> {
  const r = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await r.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  r.disconnect();
}

async function measure(
  redisUrl: string,
  scenario: string,
  conc: number,
  run: number,
): Promise<Measurement> {
  const prefix = `bench-${randomUUID()}`;
  if (scenario === 'big') {
    try {
      const figures = await bigTreeFigures(redisUrl, prefix, ownRedis);
      return { type: 'measurement', scenario, concurrency: conc, run, ...figures };
    } finally {
      await deletePrefix(redisUrl, prefix);
    }
  }
  if (scenario === 'ui') {
    try {
      const figures = await uiOpenFigures(redisUrl, prefix);
      return { type: 'measurement', scenario, concurrency: conc, run, ...figures };
    } finally {
      await deletePrefix(redisUrl, prefix);
    }
  }
  if (scenario === 'attacks') {
    try {
      const figures = await attackFigures(redisUrl, prefix);
      return { type: 'measurement', scenario, concurrency: conc, run, ...figures };
    } finally {
      await deletePrefix(redisUrl, prefix);
    }
  }
  if (scenario === 'cluster') {
    // its own servers: one Redis and a three-master cluster, started and stopped here
    return { type: 'measurement', scenario, concurrency: conc, run, ...(await clusterFigures()) };
  }
  if (scenario === 'agents') {
    try {
      const figures = await manyAgentsFigures(redisUrl, prefix, conc);
      return { type: 'measurement', scenario, concurrency: 1, run, ...figures };
    } finally {
      await deletePrefix(redisUrl, prefix);
    }
  }
  if (scenario === 'merged' || scenario === 'search') {
    try {
      const figures =
        scenario === 'merged'
          ? await mergedTailFigures(redisUrl, prefix)
          : await searchFigures(redisUrl, prefix);
      return { type: 'measurement', scenario, concurrency: conc, run, ...figures };
    } finally {
      await deletePrefix(redisUrl, prefix);
    }
  }
  if (scenario === 'logs') {
    try {
      return {
        type: 'measurement',
        scenario,
        concurrency: conc,
        run,
        ...(await logFigures(redisUrl, prefix)),
      };
    } finally {
      await deletePrefix(redisUrl, prefix);
    }
  }
  // the agent process reads it at its start (agent-worker.ts)
  process.env.JOBTREE_LOGS_ARCHIVE_ENABLED = scenario === 'flat_line_noarchive' ? 'false' : 'true';
  const rig = await Rig.start(redisUrl, prefix, conc, 'bench', scenario === 'flat_module');
  try {
    // Warm-up as the peer's --warmup N: N single jobs and a 31-job tree per 300
    // of them (scripts loaded, JIT warm; a daemon runs warm for weeks).
    await rig.runTree(flatTree(warmup));
    for (let i = 0; i < Math.max(1, Math.round(warmup / 300)); i++) {
      await rig.runTree(completeTree(5, 2));
    }
    if (scenario === 'flat_module') await rig.runTree(flatTree(warmup, 'bench-noop'));
    const figures = await scenarioFigures(rig, scenario, conc);
    return {
      type: 'measurement',
      scenario,
      concurrency: conc,
      run,
      ...figures,
      ...(await rig.stop()),
    };
  } finally {
    await rig.stop();
    await deletePrefix(redisUrl, prefix);
  }
}

const PLAN: Record<string, number[]> = {
  flat: [1, 16],
  // SPEC §11: the same flat run of a module type, whose jobs run in a worker process
  flat_module: [1, 16],
  // SPEC §16: shell jobs (`true`), each a process under a supervisor process of its own
  flat_shell: [16],
  flat_line: [16],
  flat_line_noarchive: [16],
  tree: [1, 16],
  chain: [1],
  latency: [1],
  logs: [4],
  // SPEC §19: a merged tail of a 1,000-job tree over 3 nodes; a search of 100 MB on 3 nodes
  merged: [16],
  search: [1],
  abort: [16],
  // SPEC §17: a 100,000-job tree through the store (no agent)
  big: [1],
  // SPEC §17: 1, 10 and 100 agents of one slot each (the plan's figure is the agent count)
  agents: [1, 10, 100],
  // SPEC §17: the tree page of a 100,000-job tree in headless Chromium
  ui: [1],
  // SPEC §17: many trees on one Redis, then on a Redis Cluster of three masters
  cluster: [1],
  // SPEC §18: health under the attacks of issue 25
  attacks: [1],
};

async function main(): Promise<void> {
  const runs = Number(arg('runs', '3'));
  const only = arg(
    'only',
    'flat,flat_module,flat_shell,flat_line,flat_line_noarchive,tree,chain,latency,logs,merged,search,abort,big,ui,agents,cluster,attacks',
  ).split(',');
  // --conc 1,16: only these concurrencies of each scenario (bench:compare runs one row at a time)
  const concs = arg('conc', '') ? arg('conc', '').split(',').map(Number) : undefined;
  let own: TestRedis | undefined;
  let redisUrl = arg('redis', '');
  if (!redisUrl) {
    own = await startRedis();
    redisUrl = own.url;
  }
  ownRedis = own !== undefined;
  console.log(
    JSON.stringify({
      type: 'env',
      node: process.version,
      redis: redisUrl,
      runs,
      warmup,
      started: new Date().toISOString(),
    }),
  );
  const results: Measurement[] = [];
  try {
    for (const scenario of only) {
      for (const conc of (PLAN[scenario] ?? []).filter((c) => !concs || concs.includes(c))) {
        for (let run = 1; run <= runs; run++) {
          const m = await measure(redisUrl, scenario, conc, run);
          console.log(JSON.stringify(m));
          results.push(m);
        }
      }
    }
  } catch (err) {
    if (own) await destroyRedis(own); // never leave the private server behind
    throw err;
  }
  const medians: Record<string, Record<string, number>> = {};
  for (const m of results) {
    const key = m.scenario === 'agents' ? `agents_${m.agents}` : `${m.scenario}_c${m.concurrency}`;
    if (medians[key]) continue;
    const same = results.filter(
      (x) => x.scenario === m.scenario && x.concurrency === m.concurrency && x.agents === m.agents,
    );
    const fields = Object.keys(m).filter(
      (f) => typeof m[f] === 'number' && !['concurrency', 'run'].includes(f),
    );
    medians[key] = Object.fromEntries(
      fields.map((f) => [f, round(median(same.map((x) => x[f] as number)))]),
    );
  }
  console.log(JSON.stringify({ type: 'summary', runs, medians }));
  // Removed at the end, not between runs: on ext4 without a journal (this project's test VM)
  // a new inode is not given the number of one freed in the last 60-360 s, and finding
  // another after 10,000 deletions made file creation up to 10x slower; the runs would
  // measure each other. bench:compare passes --keep-data and removes it after its last round.
  if (!process.argv.includes('--keep-data')) rmSync(BENCH_DIR, { recursive: true, force: true });
  if (own) await destroyRedis(own);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
