/**
 * `npm run bench -- [--redis URL] [--runs N] [--only flat,tree,chain,latency]`
 *
 * Measures jobtree on the peer's scenarios (../shared/bench/bullmq): one
 * agent process (agent-worker.ts), trees submitted through its HTTP API,
 * completion seen by a plain Redis subscriber on the status channel.
 * Prints one JSON line per measurement and a last `summary` line of
 * medians. Without --redis it starts a private redis-server; with --redis
 * it writes only keys under a fresh prefix, deleted afterwards.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { startRedis, destroyRedis, type TestRedis } from '../test/helpers/redis.js';
import type { JobSpec } from '../src/shared/types.js';
import { chain, completeTree, countJobs, flatTree } from './scenarios.js';

const BENCH_DIR = new URL('../.jobtree/bench/', import.meta.url).pathname;
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
const median = (xs: number[]): number => percentile(xs, 50);

/** One agent process plus a subscriber noting when each job's SUCCESS arrives. */
class Rig {
  private readonly successAt = new Map<string, number>();
  private readonly returnedAt = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  url = '';

  private constructor(
    private readonly worker: ChildProcess,
    private readonly sub: Redis,
  ) {}

  static async start(redisUrl: string, prefix: string, concurrency: number): Promise<Rig> {
    // Under the project, not os.tmpdir(): on some machines /tmp creates files 15x slower than
    // the disk an agent's data dir would live on, and the bench would measure that instead.
    mkdirSync(BENCH_DIR, { recursive: true });
    const dataDir = mkdtempSync(join(BENCH_DIR, 'run-'));
    const sub = new Redis(redisUrl);
    const worker = fork(
      new URL('./agent-worker.ts', import.meta.url).pathname,
      [redisUrl, prefix, String(concurrency), dataDir],
      {
        execArgv: [
          '--import',
          'tsx',
          ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []),
        ],
      },
    );
    const rig = new Rig(worker, sub);
    sub.on('message', (_c: string, m: string) => {
      const t = nowMs();
      const e = JSON.parse(m) as { job: string; state: string };
      if (e.state === 'SUCCESS') rig.note(rig.successAt, e.job, t);
    });
    await sub.subscribe(`${prefix}:status`);
    worker.on('message', (m: { type: string; id?: string; t?: number; url?: string }) => {
      if (m.type === 'returned') rig.note(rig.returnedAt, m.id as string, m.t as number);
      if (m.type === 'ready') rig.url = m.url as string;
    });
    while (!rig.url) await once(worker, 'message');
    return rig;
  }

  private note(map: Map<string, number>, id: string, t: number): void {
    map.set(id, t);
    for (const w of this.waiters) w();
  }

  async until<T>(probe: () => T | undefined): Promise<T> {
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      await new Promise<void>((r) => {
        const w = (): void => {
          this.waiters.delete(w);
          r();
        };
        this.waiters.add(w);
      });
    }
  }

  async submit(job: JobSpec): Promise<string> {
    const res = await fetch(`${this.url}/api/v1/trees`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job }),
    });
    if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { root: string }).root;
  }

  /** Submits and resolves with ms from the POST to the root's SUCCESS message. */
  async runTree(job: JobSpec): Promise<number> {
    const t0 = nowMs();
    const root = await this.submit(job);
    const t1 = await this.until(() => this.successAt.get(root));
    return t1 - t0;
  }

  async latency(n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = await this.submit({ title: 'm', type: 'mark' });
      const seen = await this.until(() => this.successAt.get(id));
      const returned = await this.until(() => this.returnedAt.get(id));
      out.push(seen - returned);
    }
    return out;
  }

  /** Stops the agent; resolves with its CPU time and peak memory over the whole run. */
  async stop(): Promise<Record<string, number>> {
    if (this.worker.exitCode !== null) return {};
    const exited = once(this.worker, 'exit');
    let usage: Record<string, number> = {};
    this.worker.on('message', (m: { type: string } & Record<string, number>) => {
      if (m.type === 'usage') {
        usage = {
          agent_user_s: round(m.user_s ?? 0),
          agent_sys_s: round(m.sys_s ?? 0),
          agent_max_rss_mb: round(m.max_rss_mb ?? 0, 1),
        };
      }
    });
    this.worker.send({ type: 'stop' });
    await exited;
    this.sub.disconnect();
    return usage;
  }
}

type Measurement = Record<string, number | string>;

/** Runs one scenario on a fresh agent; the figures of the scenario plus the agent's CPU and memory. */
async function scenarioFigures(rig: Rig, scenario: string): Promise<Measurement> {
  if (scenario === 'flat') {
    const total = await rig.runTree(flatTree(10_000));
    return { total_ms: round(total), jobs_per_s: round(10_000 / (total / 1000), 1) };
  }
  if (scenario === 'tree') {
    const spec = completeTree(10, 3);
    return { jobs: countJobs(spec), total_ms: round(await rig.runTree(spec)) };
  }
  if (scenario === 'chain') {
    // SPEC §3 caps depth at 64, so the chain is 64 long (the peer's is 200); per level compares.
    const total = await rig.runTree(chain(64));
    return { levels: 64, total_ms: round(total), per_level_ms: round(total / 64) };
  }
  const lat = await rig.latency(200);
  return { median_ms: round(median(lat)), p99_ms: round(percentile(lat, 99)) };
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
  const rig = await Rig.start(redisUrl, prefix, conc);
  try {
    await rig.runTree(flatTree(50)); // warm-up: scripts loaded, JIT warm
    const figures = await scenarioFigures(rig, scenario);
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

const PLAN: Record<string, number[]> = { flat: [1, 16], tree: [1, 16], chain: [1], latency: [1] };

async function main(): Promise<void> {
  const runs = Number(arg('runs', '3'));
  const only = arg('only', 'flat,tree,chain,latency').split(',');
  let own: TestRedis | undefined;
  let redisUrl = arg('redis', '');
  if (!redisUrl) {
    own = await startRedis();
    redisUrl = own.url;
  }
  console.log(
    JSON.stringify({
      type: 'env',
      node: process.version,
      redis: redisUrl,
      runs,
      started: new Date().toISOString(),
    }),
  );
  const results: Measurement[] = [];
  for (const scenario of only) {
    for (const conc of PLAN[scenario] ?? []) {
      for (let run = 1; run <= runs; run++) {
        const m = await measure(redisUrl, scenario, conc, run);
        console.log(JSON.stringify(m));
        results.push(m);
      }
    }
  }
  const medians: Record<string, Record<string, number>> = {};
  for (const m of results) {
    const key = `${m.scenario}_c${m.concurrency}`;
    if (medians[key]) continue;
    const same = results.filter(
      (x) => x.scenario === m.scenario && x.concurrency === m.concurrency,
    );
    const fields = Object.keys(m).filter(
      (f) => typeof m[f] === 'number' && !['concurrency', 'run'].includes(f),
    );
    medians[key] = Object.fromEntries(
      fields.map((f) => [f, round(median(same.map((x) => x[f] as number)))]),
    );
  }
  console.log(JSON.stringify({ type: 'summary', runs, medians }));
  // Removed at the end, not between runs: deleting 10,000 files makes the next run's file
  // creation slow on disks mounted with `discard`, and the runs would measure each other.
  rmSync(BENCH_DIR, { recursive: true, force: true });
  if (own) await destroyRedis(own);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
