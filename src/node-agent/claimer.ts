/**
 * Turns free slots into claims (Sidekiq's Manager + Fetch): one claim call
 * for up to `batch` jobs whenever a slot frees, a wake arrives or the poll
 * timer fires. A slot whose job freed its parent runs that parent next
 * without asking Redis again (finishJobs claims it). Which calls may claim,
 * and when an adoption may run, is the ClaimLedger's to say.
 */
import type { Logger } from 'pino';
import { isRedisUnavailable } from '../shared/errors.js';
import type { ClaimedJob, ClaimPort } from '../store/store.js';
import type { ClaimLedger } from './claim-ledger.js';
import { startJob, type RunnerDeps, type RunningJob, type StopReason } from './runner.js';
import type { ProcessKind } from '../contracts/job-process.js';
import type { Supervised } from '../supervisor/supervised.js';

export interface ClaimerOptions {
  concurrency: number;
  batch: number;
  pollMs: number;
}

/**
 * How long an abort signal for a job this claimer does not run yet is kept
 * for it: the job's claim is in flight (a claim over many shards, an
 * adoption at the next heartbeat), and starts it stopped (issue 26).
 */
const EARLY_STOP_MS = 60_000;

export class Claimer {
  private readonly running = new Map<string, RunningJob>();
  /** Abort signals that came before their job started here: id → reason, and when. */
  private readonly earlyStops = new Map<string, { reason: StopReason; at: number }>();
  private filling = false;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly store: ClaimPort,
    private readonly deps: RunnerDeps,
    private options: ClaimerOptions,
    private readonly logger: Logger,
    private readonly ledger: ClaimLedger,
  ) {}

  get size(): number {
    return this.running.size;
  }

  /** True while this claimer runs try `attempt` of job `id` of tree `root` (a job token's life). */
  runs(root: string, id: string, attempt: number): boolean {
    const job = this.running.get(id)?.job;
    return job !== undefined && job.root === root && job.attempt === attempt;
  }

  /**
   * Takes a new concurrency (a config reload): more slots are filled at
   * once; with fewer, running jobs go on and no new one starts until the
   * count is under it.
   */
  setConcurrency(concurrency: number): void {
    this.options = { ...this.options, concurrency };
    this.wake();
  }

  /** Starts claiming now and on every poll tick. */
  start(): void {
    this.stopped = false;
    const tick = (): void => {
      this.wake();
      this.timer = setTimeout(tick, this.options.pollMs);
      this.timer.unref();
    };
    tick();
  }

  /** Asks for a claim round (a wake message, a freed slot). */
  wake(): void {
    if (this.stopped) return;
    if (this.filling || this.ledger.adopting) {
      this.again = true; // the fill in flight, or the adoption's end, claims again
      return;
    }
    void this.fill();
  }

  private async fill(): Promise<void> {
    this.filling = true;
    try {
      do {
        this.again = false;
        const free = this.options.concurrency - this.running.size;
        if (free <= 0 || this.stopped || !this.deps.takesWork()) break;
        this.ledger.fillStarts();
        let jobs: ClaimedJob[];
        try {
          // nothing of a part of the store whose ends wait in the journal (SPEC §9)
          jobs = await this.store.claimJobs(
            this.deps.node,
            Math.min(free, this.options.batch),
            this.deps.token,
            Date.now(),
            this.deps.reporter.heldParts(),
          );
          for (const job of jobs) this.run(job);
        } finally {
          this.ledger.fillDone();
        }
        if (jobs.length === Math.min(free, this.options.batch)) this.again = true;
      } while (this.again && !this.stopped);
    } catch (err) {
      if (!isRedisUnavailable(err)) this.logger.error({ err }, 'claim failed');
    } finally {
      this.filling = false;
    }
  }

  /**
   * Runs the jobs Redis shows RUNNING under this run's token that this
   * claimer does not know: a claim executed whose reply was lost when the
   * connection dropped. It runs alone (the ledger's rule). The jobs whose
   * ends wait in the journal are RUNNING in Redis still: they are named as
   * running, never adopted.
   */
  async adoptOrphans(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.ledger.alone(async () => {
        const orphans = await this.store.adoptClaims(this.deps.node, this.deps.token, [
          ...this.running.keys(),
          ...this.deps.reporter.givenUp, // RUNNING still, but their end was refused: never run twice
          ...this.deps.reporter.journalled(),
        ]);
        for (const job of orphans) {
          this.logger.warn({ job: job.id }, 'adopted a claim whose reply was lost');
          this.run(job);
        }
      });
    } finally {
      // a wake that came meanwhile was left to the adoption's end
      if (this.again) this.wake();
    }
  }

  /** Follows a job a previous run left under a supervisor (re-attached at start, SPEC §16). */
  resume(job: ClaimedJob, supervised: Supervised, kind: ProcessKind): void {
    this.run(job, { supervised, kind });
  }

  private run(job: ClaimedJob, resumed?: { supervised: Supervised; kind: ProcessKind }): void {
    const handle = startJob(job, this.deps, resumed);
    this.running.set(job.id, handle);
    const early = this.earlyStops.get(job.id);
    if (early) {
      this.earlyStops.delete(job.id);
      handle.stop(early.reason); // aborted while its claim was on its way
    }
    void handle.done.then(
      (next) => this.handOver(job.id, next),
      (err: unknown) => {
        this.logger.error({ err, job: job.id }, 'runner crashed');
        this.handOver(job.id, null);
      },
    );
  }

  private handOver(id: string, next: ClaimedJob | null): void {
    this.running.delete(id);
    if (next) this.run(next);
    this.ledger.endHandedOver(id); // after run: what its end claimed is known now
    if (!next) this.wake();
    if (this.running.size === 0) for (const resolve of this.idle) resolve();
  }

  /**
   * Stops one running job (an abort signal for it). A signal for a job not
   * running here yet is kept a while: its claim may still be on its way (a
   * claim over many shards, an adoption), and the job starts stopped.
   */
  stopJob(id: string, reason: StopReason): boolean {
    const handle = this.running.get(id);
    if (handle) {
      handle.stop(reason);
      return true;
    }
    const now = Date.now();
    for (const [early, s] of this.earlyStops) {
      if (now - s.at <= EARLY_STOP_MS) break; // kept in arrival order: the rest are newer
      this.earlyStops.delete(early);
    }
    this.earlyStops.set(id, { reason, at: now });
    return false;
  }

  /** Stops every running job now (an operator's second SIGTERM, or SIGQUIT). */
  stopAll(reason: StopReason): void {
    for (const handle of this.running.values()) handle.stop(reason);
  }

  /** Stops claiming; running jobs go on. */
  pause(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Waits for running jobs up to `graceMs`, then stops the rest and waits for them. */
  async drain(graceMs: number): Promise<void> {
    this.pause();
    const idle = (): Promise<void> =>
      this.running.size === 0 ? Promise.resolve() : new Promise<void>((r) => this.idle.add(r));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([idle(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const handle of this.running.values()) handle.stop('shutdown');
    await Promise.all([...this.running.values()].map((h) => h.done.catch(() => null)));
  }
}
