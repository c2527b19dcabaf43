/**
 * The many-nodes figures of issue 16 (SPEC §17): N agents (N = 1, 10, 100;
 * up to 25 in each fleet-worker process) on one Redis, with the default
 * claim and heartbeat settings.
 *
 * - Idle: what N agents with nothing to do cost Redis (CPU and commands
 *   per second) and themselves (CPU per agent per second).
 * - Claim latency: single jobs submitted one at a time, from the
 *   submission call to the job's RUNNING message; for `*` jobs, and for
 *   jobs each queued for a named idle agent (in turn), after every agent
 *   has run a few jobs (a daemon runs warm for weeks).
 * - Agents woken per `*` job: the wake messages Redis delivered while the
 *   jobs ran, a message on `P:wake:*` counting once per agent.
 * - CPU per job while they ran, of the agents' processes and of Redis.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { planTree } from '../src/jobtree/plan.js';
import { newId } from '../src/shared/ids.js';
import { ShardedStore } from '../src/store/sharded-store.js';
import { BENCH_DIR, median, nowMs, percentile, redisCounters, round } from './rig.js';

const PER_PROCESS = 25;
const IDLE_MS = 5000;
const SAMPLES = 200;
/** Jobs each agent runs before the samples (its log writer thread starts with its first). */
const WARMUP_PER_AGENT = 3;

type Figures = Record<string, number | string>;

export class Fleet {
  private constructor(private readonly workers: ChildProcess[]) {}

  /** `cluster`: redisUrl lists a Redis Cluster's URLs; `slots`: each agent's concurrency. */
  static async start(
    redisUrl: string,
    prefix: string,
    agents: number,
    dataDir: string,
    options: { cluster?: boolean; slots?: number } = {},
  ) {
    const workers: ChildProcess[] = [];
    for (let first = 0; first < agents; first += PER_PROCESS) {
      const count = Math.min(PER_PROCESS, agents - first);
      const worker = fork(
        new URL('./fleet-worker.ts', import.meta.url).pathname,
        [
          ...[redisUrl, prefix, String(count), String(first), dataDir],
          ...[options.cluster ? 'cluster' : '', String(options.slots ?? 1)],
        ],
        {
          execArgv: [
            '--v8-pool-size=1',
            '--import',
            'tsx',
            ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []),
          ],
        },
      );
      workers.push(worker);
      await reply(worker, 'ready');
    }
    return new Fleet(workers);
  }

  /** CPU time of every fleet process so far, in µs. */
  async cpuUs(): Promise<number> {
    const each = await Promise.all(
      this.workers.map(async (w) => {
        const answer = reply(w, 'cpu');
        w.send({ type: 'cpu' });
        return ((await answer) as { us: number }).us;
      }),
    );
    return each.reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        const exited = once(w, 'exit');
        w.send({ type: 'stop' });
        await exited;
      }),
    );
  }
}

async function reply(worker: ChildProcess, type: string): Promise<unknown> {
  for (;;) {
    const [msg] = (await once(worker, 'message')) as [{ type: string }];
    if (msg.type === type) return msg;
  }
}

export async function manyAgentsFigures(
  redisUrl: string,
  prefix: string,
  agents: number,
): Promise<Figures> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const dataDir = mkdtempSync(join(BENCH_DIR, 'fleet-'));
  const admin = new Redis(redisUrl);
  const store = new ShardedStore(redisUrl, prefix);
  const fleet = await Fleet.start(redisUrl, prefix, agents, dataDir);
  const jobs = await Jobs.watch(redisUrl, prefix, agents);
  try {
    // every agent has made its first claim and come back short: all are idle
    while ((await admin.hlen(`${prefix}:idle`)) < agents) await pause(50);
    const counters = async () => ({
      redis: await redisCounters(admin),
      fleet: await fleet.cpuUs(),
      t: nowMs(),
    });
    const idle0 = await counters();
    await pause(IDLE_MS);
    const idle1 = await counters();
    const perS = (x: number): number => x / ((idle1.t - idle0.t) / 1000);

    const names = Array.from({ length: agents }, (_, i) => `fleet-${i}`);
    await Promise.all(
      names.flatMap((n) => Array.from({ length: WARMUP_PER_AGENT }, () => jobs.run(store, n))),
    );
    await settled(fleet, perS(idle1.fleet - idle0.fleet));
    const busy0 = await counters();
    const named: number[] = [];
    for (let i = 0; i < SAMPLES; i++) named.push(await jobs.run(store, names[i % agents]!));
    jobs.woken = 0;
    const anyNode: number[] = [];
    for (let i = 0; i < SAMPLES; i++) anyNode.push(await jobs.run(store, '*'));
    const woken = jobs.woken;
    const busy1 = await counters();
    // what the samples cost beyond what the agents cost idle over the same time
    const idleFleetUs = perS(idle1.fleet - idle0.fleet) * ((busy1.t - busy0.t) / 1000);
    const perJobMs = (us: number): number => round(us / 1000 / (2 * SAMPLES), 3);
    return {
      agents,
      idle_redis_cpu_ms_per_s: round(perS(idle1.redis.cpuUs - idle0.redis.cpuUs) / 1000, 2),
      idle_redis_commands_per_s: round(perS(idle1.redis.commands - idle0.redis.commands), 1),
      idle_agent_cpu_ms_per_s: round(perS(idle1.fleet - idle0.fleet) / 1000 / agents, 3),
      claim_any_median_ms: round(median(anyNode)),
      claim_any_p99_ms: round(percentile(anyNode, 99)),
      claim_node_median_ms: round(median(named)),
      claim_node_p99_ms: round(percentile(named, 99)),
      agents_woken_per_any_job: round(woken / SAMPLES, 2),
      agents_cpu_ms_per_job: perJobMs(busy1.fleet - busy0.fleet - idleFleetUs),
      redis_cpu_ms_per_job: perJobMs(busy1.redis.cpuUs - busy0.redis.cpuUs),
    };
  } finally {
    await fleet.stop();
    await jobs.close();
    await store.close();
    admin.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Single-job trees, and what a plain subscriber hears of them. */
class Jobs {
  private readonly runningAt = new Map<string, number>();
  private readonly ended = new Map<string, () => void>();
  /** Agents woken so far (a message on `P:wake:*` wakes every agent). */
  woken = 0;

  private constructor(private readonly sub: Redis) {}

  static async watch(redisUrl: string, prefix: string, agents: number): Promise<Jobs> {
    const jobs = new Jobs(new Redis(redisUrl));
    jobs.sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
      if (channel.endsWith(':wake:*')) jobs.woken += agents;
      else if (channel.includes(':wake:')) jobs.woken += 1;
      else {
        const e = JSON.parse(message) as { job: string; state: string };
        if (e.state === 'RUNNING') jobs.runningAt.set(e.job, nowMs());
        if (e.state === 'SUCCESS') jobs.ended.get(e.job)?.();
      }
    });
    await jobs.sub.psubscribe(`${prefix}:wake:*`, `${prefix}:status`);
    return jobs;
  }

  /** Runs one noop job on `node`; ms from the submission call to its RUNNING message. */
  async run(store: ShardedStore, node: string): Promise<number> {
    const plan = planTree(
      { job: { title: 'claim me', type: 'noop', node } },
      { acceptingNode: 'bench', newId },
    );
    const done = new Promise<void>((r) => this.ended.set(plan.root, r));
    const tree = { root: plan.root, title: 'claim me', node, tags: {}, context: {} };
    const t0 = nowMs();
    await store.submitTree({ ...tree, jobs: plan.jobs, at: Date.now() });
    await done;
    this.ended.delete(plan.root);
    const ms = (this.runningAt.get(plan.root) as number) - t0;
    this.runningAt.delete(plan.root);
    return ms;
  }

  async close(): Promise<void> {
    this.sub.disconnect();
  }
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits (up to 30 s) until the agents cost no more than 1.5 times what they
 * did idle before the warm-up, three half-seconds in a row: whatever their
 * first jobs set going (each agent's log writer thread) is done.
 */
async function settled(fleet: Fleet, idleUsPerS: number): Promise<void> {
  for (let calm = 0, end = nowMs() + 30_000; calm < 3 && nowMs() < end;) {
    const [c0, t0] = [await fleet.cpuUs(), nowMs()];
    await pause(500);
    const quiet = (await fleet.cpuUs()) - c0 <= 1.5 * idleUsPerS * ((nowMs() - t0) / 1000);
    calm = quiet ? calm + 1 : 0;
  }
}
