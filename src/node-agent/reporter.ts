/**
 * Sends the ends of jobs to the store, batched: every end reported in one
 * event-loop turn goes out in one finishJobs call (a node running 16 short
 * jobs makes one call, not 16). When the call fails (Redis unreachable) the
 * batch goes to the on-disk journal instead, and while the journal holds
 * anything every new end goes there too, so ends reach Redis in the order
 * they happened. The journal is replayed as soon as Redis answers again.
 */
import type { Logger } from 'pino';
import { JobtreeError } from '../shared/errors.js';
import type { FinishAnswer, FinishReport, Store } from '../store/store.js';
import type { Journal } from './journal.js';

/** What became of one reported end. */
export type Delivery =
  | { kind: 'stored'; answer: FinishAnswer }
  /** Redis refused it: the job was settled by someone else (NODE_LOST, fenced). */
  | { kind: 'refused'; error: JobtreeError }
  /** On disk; it reaches Redis when Redis is back. */
  | { kind: 'journalled' };

interface Pending {
  report: FinishReport;
  resolve(delivery: Delivery): void;
}

export class Reporter {
  private queue: Pending[] = [];
  private scheduled = false;
  private replaying: Promise<void> | undefined;
  private closed = false;
  private sending = 0;

  constructor(
    private readonly store: Store,
    private readonly journal: Journal,
    private readonly logger: Logger,
    /** Called when the journal has been emptied into Redis. */
    private readonly onReplayed: () => void = () => undefined,
  ) {}

  /**
   * True while some job's end is not settled in Redis: queued, on its way
   * (its answer may claim a freed parent), or journalled. The claimer adopts
   * no orphaned claim meanwhile: such a job may be one of these.
   */
  get busy(): boolean {
    return this.scheduled || this.sending > 0 || this.backlogged;
  }

  /** True while ends wait on disk for Redis (the agent claims nothing meanwhile). */
  get backlogged(): boolean {
    return this.journal.size > 0;
  }

  report(report: FinishReport): Promise<Delivery> {
    return new Promise((resolve) => {
      this.queue.push({ report, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => void this.send());
      }
    });
  }

  /** Replays the journal now and resolves when it is empty (retrying while Redis is away). */
  replay(): Promise<void> {
    this.replaying ??= this.replayLoop().finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  /** Stops retrying; what is still journalled stays on disk for the next run. */
  async close(): Promise<void> {
    this.closed = true;
    await this.replaying;
    await this.journal.close();
  }

  private async send(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    this.sending++;
    try {
      if (!this.backlogged && (await this.sendToRedis(batch))) return;
      try {
        await this.journal.append(batch.map((p) => p.report));
      } catch (err) {
        // The disk failed too: nothing is left to keep the end; the restart rule settles the job.
        this.logger.error({ err }, 'journal write failed');
      }
      for (const p of batch) p.resolve({ kind: 'journalled' });
      void this.replay();
    } finally {
      // Not before the runners have taken the answers: a freed parent claimed
      // by this call is registered in microtasks that all run before setImmediate.
      setImmediate(() => this.sending--);
    }
  }

  /** Sends a batch to Redis; false when it must go to the journal instead. */
  private async sendToRedis(batch: Pending[]): Promise<boolean> {
    try {
      const answers = await this.store.finishJobs(batch.map((p) => p.report));
      batch.forEach((p, i) => p.resolve(this.delivery(p.report, answers[i])));
      return true;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'job ends go to the journal');
      return false;
    }
  }

  private delivery(
    report: FinishReport,
    answer: FinishAnswer | JobtreeError | undefined,
  ): Delivery {
    if (answer instanceof JobtreeError || answer === undefined) {
      const error = answer ?? new JobtreeError('INTERNAL', 'no answer for the report');
      this.logger.warn({ job: report.id, code: error.code }, 'job end refused');
      return { kind: 'refused', error };
    }
    return { kind: 'stored', answer };
  }

  private async replayLoop(): Promise<void> {
    for (let attempt = 0; this.journal.size > 0 && !this.closed; attempt++) {
      try {
        const before = this.journal.size;
        await this.journal.replay(
          (reports) => this.store.finishJobs(reports),
          (r, e) => this.logger.info({ job: r.id, code: e.code }, 'journalled end refused'),
        );
        this.logger.info({ ends: before }, 'journal replayed into Redis');
        this.onReplayed();
        return;
      } catch (err) {
        if (attempt === 0)
          this.logger.warn({ err: (err as Error).message }, 'journal waits for Redis');
        await new Promise((res) => setTimeout(res, Math.min(100 * 2 ** attempt, 1000)));
      }
    }
  }
}
