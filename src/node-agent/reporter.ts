/**
 * Sends the ends of jobs to the store, batched: every end reported in one
 * event-loop turn goes out in one finishJobs call (a node running 16 short
 * jobs makes one call, not 16). When the call fails (Redis unreachable) the
 * batch goes to the on-disk journal instead, and while the journal holds
 * ends of a part of the store (all of one Redis; a Cluster's shard) every
 * new end of that part goes there too, so the ends of a tree reach Redis
 * in the order they happened; the ends of the other parts go on to Redis.
 * The journal is replayed as soon as Redis answers again.
 *
 * Only an unavailable Redis journals. An end Redis refuses (a script error,
 * a key of the wrong type, an out-of-memory refusal: it will not pass by
 * itself) is sent again alone, so that it stops no other end; refused
 * again, the job is failed STORE_REJECTED without its result and context;
 * refused even so, it is given up (left RUNNING for an agent restart to
 * end, never adopted again) and the node goes on with its other work.
 */
import type { Logger } from 'pino';
import { isRedisUnavailable, JobtreeError, StoreRejectedError } from '../shared/errors.js';
import type { EndPort, FinishAnswer, FinishReport } from '../store/store.js';
import type { ClaimLedger } from './claim-ledger.js';
import type { Journal } from './journal.js';

/** What became of one reported end. */
export type Delivery =
  | { kind: 'stored'; answer: FinishAnswer }
  /** Redis refused it: the job was ended by someone else (NODE_LOST, fenced). */
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
  /** Jobs whose end Redis refused in every form: never adopted as orphans. */
  readonly givenUp = new Set<string>();

  constructor(
    private readonly store: EndPort,
    private readonly journal: Journal,
    private readonly logger: Logger,
    /** An end may claim (claimFor): held there from its report until the claimer hands it over. */
    private readonly ledger: ClaimLedger,
    /** Called when the journal has been emptied into Redis, or a part of it. */
    private readonly onReplayed: () => void = () => undefined,
  ) {}

  /** The jobs whose ends wait on disk: RUNNING in Redis until they are replayed. */
  journalled(): string[] {
    return this.journal.reports.map((r) => r.id);
  }

  /**
   * The parts of the store whose ends wait on disk: the node claims nothing
   * of them meanwhile (SPEC §9), since a claim there would overtake them.
   */
  heldParts(): Set<number> {
    return new Set(this.journal.reports.map((r) => this.store.partitionOf(r.root)));
  }

  report(report: FinishReport): Promise<Delivery> {
    this.ledger.endReported(report.id);
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
    this.replaying ??= this.replayLoop().finally(() => {
      this.replaying = undefined;
      // an end journalled as the loop ended found it still running: replay it now
      if (this.journal.size > 0 && !this.closed) void this.replay();
    });
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
    await this.ledger.afterAdoption(); // an end may claim: never while an adoption looks
    const held = this.heldParts();
    const behind = (p: Pending) => held.has(this.store.partitionOf(p.report.root));
    const unsent = [
      ...batch.filter(behind),
      ...(await this.sendToRedis(batch.filter((p) => !behind(p)))),
    ];
    if (unsent.length === 0) return;
    try {
      await this.journal.append(unsent.map((p) => p.report));
    } catch (err) {
      // The disk failed too: nothing is left to keep the end; the restart rule ends the job.
      this.logger.error({ err }, 'journal write failed');
    }
    for (const p of unsent) p.resolve({ kind: 'journalled' });
    void this.replay();
  }

  /** Sends ends to Redis; answers those that must go to the journal instead. */
  private async sendToRedis(batch: Pending[]): Promise<Pending[]> {
    if (batch.length === 0) return [];
    try {
      const answers = await this.sendAll(batch.map((p) => p.report));
      // a part of the store away (a Cluster's master) answers its ends unavailable
      const away = batch.filter((_, i) => isRedisUnavailable(answers[i]));
      batch.forEach((p, i) => {
        if (!isRedisUnavailable(answers[i])) p.resolve(this.delivery(p.report, answers[i]));
      });
      if (away.length > 0) this.logger.warn({ ends: away.length }, 'job ends go to the journal');
      return away;
    } catch (err) {
      if (isRedisUnavailable(err)) {
        this.logger.warn({ err: err.message }, 'job ends go to the journal');
        return batch;
      }
      // not Redis's refusal but a fault of ours: say it, and let the runners go on
      this.logger.error({ err }, 'job ends could not be sent');
      const error = new JobtreeError('INTERNAL', (err as Error).message);
      for (const p of batch) {
        this.givenUp.add(p.report.id);
        p.resolve({ kind: 'refused', error });
      }
      return [];
    }
  }

  /** Sends ends and answers each; throws only when Redis is unavailable. */
  private async sendAll(reports: FinishReport[]): Promise<Array<FinishAnswer | JobtreeError>> {
    try {
      return await this.store.finishJobs(reports);
    } catch (err) {
      if (!(err instanceof StoreRejectedError)) throw err;
      if (reports.length === 1) return [await this.reject(reports[0]!, err)];
      // One poisoned end must not stop the others: each alone. (A script stops
      // at its error with what it wrote before kept: those answer NOT_RUNNING.)
      const answers: Array<FinishAnswer | JobtreeError> = [];
      for (const r of reports) answers.push(...(await this.sendAll([r])));
      return answers;
    }
  }

  /** Redis refused this end: fail the job STORE_REJECTED, or give it up. */
  private async reject(
    report: FinishReport,
    refusal: StoreRejectedError,
  ): Promise<FinishAnswer | JobtreeError> {
    this.logger.error(
      { job: report.id, root: report.root, err: refusal.message },
      'Redis refused a job end; failing the job STORE_REJECTED',
    );
    const { root, id, token, at, typeVersion } = report;
    try {
      const [answer] = await this.store.finishJobs([
        {
          root,
          id,
          token,
          at,
          outcome: 'FAILED',
          error: {
            code: 'STORE_REJECTED',
            message: `Redis refused the job's end: ${refusal.message}`,
          },
          ...(typeVersion !== undefined ? { typeVersion } : {}),
        },
      ]);
      return answer ?? refusal;
    } catch (err) {
      if (!(err instanceof StoreRejectedError)) throw err;
      this.givenUp.add(id);
      this.logger.error(
        { job: id, root, err: err.message },
        'Redis refused even the failure of this job: left RUNNING for a restart to end',
      );
      return err;
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
      const before = this.journal.size;
      try {
        await this.journal.replay(
          (reports) => this.sendAll(reports),
          (r, e) => this.logger.info({ job: r.id, code: e.code }, 'journalled end refused'),
          (r) => this.store.partitionOf(r.root),
        );
        this.logger.info({ ends: before }, 'journal replayed into Redis');
        this.onReplayed();
        return;
      } catch (err) {
        if (attempt === 0)
          this.logger.warn({ err: (err as Error).message }, 'journal waits for Redis');
        // the parts replayed whole may be claimed from again
        if (this.journal.size < before) this.onReplayed();
        await new Promise((res) => setTimeout(res, Math.min(100 * 2 ** attempt, 1000)));
      }
    }
  }
}
