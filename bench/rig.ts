/**
 * One benchmark rig: an agent process (agent-worker.ts) plus a plain Redis
 * subscriber noting when each job's SUCCESS message arrives (latency).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { Agent as HttpAgent, request } from 'node:http';
import { join } from 'node:path';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import type { JobSpec } from '../src/shared/types.js';

export const BENCH_DIR = new URL('../.jobtree/bench/', import.meta.url).pathname;
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
export const median = (xs: number[]): number => percentile(xs, 50);
export const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

/** Redis's CPU time (µs, INFO cpu) and the commands it has processed, so far. */
export async function redisCounters(client: Redis): Promise<{ cpuUs: number; commands: number }> {
  const info = await client.info();
  const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return {
    cpuUs: (field('used_cpu_user') + field('used_cpu_sys')) * 1e6,
    commands: field('total_commands_processed'),
  };
}

/**
 * One agent process, plus a plain subscriber noting when each job's SUCCESS
 * message arrives. Trees are timed to their root's end as the agent reports
 * it, as the peer times its flows to its worker's 'completed' event; the
 * subscriber is used for latency only, where the issue defines the figure
 * by it. (A subscriber to the whole status channel costs the agent's Redis
 * a socket write per loop turn: 8-24 % of flat_c1 on the test machine.)
 */
/** How long an aborted tree's jobs have run when the abort comes. */
const SETTLE_MS = 1000;

export class Rig {
  private readonly successAt = new Map<string, number>();
  /** Per tree: the jobs seen RUNNING, and when each RUNNING job became ABORTED. */
  private readonly runningIn = new Map<string, number>();
  private readonly abortedAt = new Map<string, number[]>();
  private readonly endedAt = new Map<string, { state: string; t: number }>();
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  private readonly waiters = new Set<() => void>();
  url = '';

  private constructor(
    private readonly worker: ChildProcess,
    private readonly sub: Redis,
    private readonly admin: Redis,
    private readonly channel: string,
  ) {}

  static async start(
    redisUrl: string,
    prefix: string,
    concurrency: number,
    node = 'bench',
    /** Load the module job type bench-noop (flat_module); other scenarios run without a worker. */
    withModuleType = false,
  ): Promise<Rig> {
    // Under the project, not os.tmpdir(): on some machines /tmp creates files 15x slower than
    // the disk an agent's data dir would live on, and the bench would measure that instead.
    mkdirSync(BENCH_DIR, { recursive: true });
    const dataDir = mkdtempSync(join(BENCH_DIR, 'run-'));
    const sub = new Redis(redisUrl);
    const worker = fork(
      new URL('./agent-worker.ts', import.meta.url).pathname,
      [redisUrl, prefix, String(concurrency), dataDir, node, withModuleType ? 'module' : ''],
      {
        execArgv: [
          '--v8-pool-size=1', // as bin/jobtree.js runs the agent
          '--import',
          'tsx',
          ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []),
        ],
      },
    );
    const rig = new Rig(worker, sub, new Redis(redisUrl), `${prefix}:status`);
    sub.on('message', (_c: string, m: string) => {
      const t = nowMs();
      const e = JSON.parse(m) as { root: string; job: string; state: string; prev: string | null };
      if (e.state === 'SUCCESS') rig.note(rig.successAt, e.job, t);
      if (e.state === 'RUNNING')
        rig.note(rig.runningIn, e.root, (rig.runningIn.get(e.root) ?? 0) + 1);
      if (e.state === 'ABORTED' && e.prev === 'RUNNING')
        rig.note(rig.abortedAt, e.root, [...(rig.abortedAt.get(e.root) ?? []), t]);
    });
    worker.on(
      'message',
      (m: { type: string; id?: string; t?: number; url?: string; state?: string }) => {
        if (m.type === 'ended')
          rig.note(rig.endedAt, m.id as string, { state: m.state as string, t: m.t as number });
        if (m.type === 'ready') rig.url = m.url as string;
      },
    );
    while (!rig.url) await once(worker, 'message');
    return rig;
  }

  private note<T>(map: Map<string, T>, id: string, t: T): void {
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
    const res = await this.call('POST', '/api/v1/trees', { job });
    if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${res.body}`);
    return (JSON.parse(res.body) as { root: string }).root;
  }

  /**
   * One request on a kept-alive socket. Not fetch(): its stream machinery
   * kept this process busy for milliseconds now and then, right when the
   * subscriber here had a message to read, and latency measured that.
   */
  private call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(path, this.url);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method,
          agent: this.http,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {},
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Submits `job`, aborts it once `running` of its jobs run, and resolves
   * with the ms from the abort request to each of them being ABORTED.
   */
  async abortLatencies(job: JobSpec, running: number): Promise<number[]> {
    await this.sub.subscribe(this.channel);
    try {
      return await this.timeAbort(job, running);
    } finally {
      await this.sub.unsubscribe(this.channel);
    }
  }

  private async timeAbort(job: JobSpec, running: number): Promise<number[]> {
    const root = await this.submit(job);
    await this.until(() => ((this.runningIn.get(root) ?? 0) >= running ? true : undefined));
    // as an operator's abort comes: after the jobs' processes are up (RUNNING is the claim)
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const t0 = nowMs();
    await this.call('POST', `/api/v1/trees/${root}/abort`);
    const ends = await this.until(() => {
      const a = this.abortedAt.get(root) ?? [];
      return a.length >= running ? a : undefined;
    });
    return ends.map((t) => t - t0);
  }

  /** Submits and resolves with the root id once the agent has seen the root succeed. */
  async runTreeRoot(job: JobSpec): Promise<string> {
    const root = await this.submit(job);
    await this.rootEnd(root);
    return root;
  }

  /** Submits and resolves with ms from the POST to the root's SUCCESS, as the agent saw it. */
  async runTree(job: JobSpec): Promise<number> {
    return (await this.timeTree(job)).total;
  }

  /** As runTree, with the ms the POST took to be answered (the tree stored) as `submit`. */
  async timeTree(job: JobSpec): Promise<{ total: number; submit: number }> {
    const t0 = nowMs();
    const root = await this.submit(job);
    const submit = nowMs() - t0;
    return { total: (await this.rootEnd(root)) - t0, submit };
  }

  private async rootEnd(root: string): Promise<number> {
    const end = await this.until(() => this.endedAt.get(root));
    if (end.state !== 'SUCCESS') throw new Error(`root ${root} ended ${end.state}`);
    return end.t;
  }

  /**
   * Per job, ms from its run() returning to its SUCCESS message reaching a
   * plain subscriber. The `mark` job returns the monotonic time as its result,
   * read back once all samples are in (the peer's handler returns it the same
   * way), so nothing but the job's own end happens between the two clocks.
   */
  async latency(n: number): Promise<number[]> {
    return this.latencies(await this.latencySamples(n));
  }

  /** Runs `n` mark jobs one at a time, noting when each SUCCESS message arrives; their ids. */
  async latencySamples(n: number): Promise<string[]> {
    await this.sub.subscribe(this.channel);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = await this.submit({ title: 'm', type: 'mark' });
      await this.until(() => this.successAt.get(id));
      ids.push(id);
    }
    await this.sub.unsubscribe(this.channel);
    return ids;
  }

  /** The latency of each sampled mark job, its SUCCESS message's arrival minus its result. */
  async latencies(ids: string[]): Promise<number[]> {
    const out: number[] = [];
    for (const id of ids) {
      const res = await this.call('GET', `/api/v1/jobs/${id}`);
      const { result } = JSON.parse(res.body) as { result: { t: number } };
      out.push((this.successAt.get(id) as number) - result.t);
    }
    return out;
  }

  /**
   * CPU time so far, in µs: the agent process (all its threads) and the
   * Redis server (INFO; on a shared server that includes other clients).
   */
  async cpu(): Promise<{ agent: number; redis: number }> {
    const reply = new Promise<number>((resolve) => {
      const onMessage = (m: { type: string; us?: number }): void => {
        if (m.type !== 'cpu') return;
        this.worker.off('message', onMessage);
        resolve(m.us as number);
      };
      this.worker.on('message', onMessage);
    });
    this.worker.send({ type: 'cpu' });
    const { cpuUs: redis } = await redisCounters(this.admin);
    return { agent: await reply, redis };
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
    this.admin.disconnect();
    this.http.destroy();
    return usage;
  }
}
