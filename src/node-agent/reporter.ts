/**
 * Sends the ends of jobs to the store, batched: every end reported in one
 * event-loop turn goes out in one finishJobs call (a node running 16 short
 * jobs makes one call, not 16). While Redis is unreachable a batch is
 * retried with a capped backoff (the on-disk journal of SPEC §9 is a later
 * issue). A refused report (fenced, not running) resolves to null.
 */
import type { Logger } from 'pino';
import { JobtreeError } from '../shared/errors.js';
import type { FinishAnswer, FinishReport, Store } from '../store/store.js';

interface Pending {
  report: FinishReport;
  resolve(answer: FinishAnswer | null): void;
}

export class Reporter {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  /** Resolves with the store's answer, or null when the report was refused. */
  report(report: FinishReport): Promise<FinishAnswer | null> {
    return new Promise((resolve) => {
      this.queue.push({ report, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => void this.send());
      }
    });
  }

  private async send(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (let attempt = 0; ; attempt++) {
      try {
        const answers = await this.store.finishJobs(batch.map((p) => p.report));
        batch.forEach((p, i) => {
          const a = answers[i];
          if (a instanceof JobtreeError || a === undefined) {
            this.logger.warn({ job: p.report.id, code: a?.code }, 'finish refused');
            p.resolve(null);
          } else p.resolve(a);
        });
        return;
      } catch (err) {
        if (err instanceof JobtreeError && err.status === 503) {
          await new Promise((res) => setTimeout(res, Math.min(100 * 2 ** attempt, 2000)));
          continue;
        }
        this.logger.error({ err }, 'finish failed');
        for (const p of batch) p.resolve(null);
        return;
      }
    }
  }
}
