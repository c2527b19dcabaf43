/**
 * Where the store tells of a record it skipped (SPEC §18): a Pub/Sub
 * message, node record, queue entry or job hash that cannot be read is
 * skipped and told here, once each, at most REPORTS_PER_MINUTE a minute
 * (a flood of junk must not become a flood of log lines); the agent logs
 * what it hears.
 */

/** A record the store could not read, and skipped. */
export interface CorruptRecord {
  /** What it is: `status message`, `node record`, `job record`, … */
  what: string;
  /** Its key or channel. */
  key: string;
  problem: string;
}

const REPORTS_PER_MINUTE = 20;

export class CorruptLog {
  private listener: ((record: CorruptRecord) => void) | undefined;
  private windowStart = 0;
  private reported = 0;
  private suppressed = 0;

  /** Sets who hears of skipped records (the agent's logger). */
  listen(listener: (record: CorruptRecord) => void): void {
    this.listener = listener;
  }

  report(record: CorruptRecord, now = Date.now()): void {
    if (now - this.windowStart >= 60_000) {
      if (this.suppressed > 0)
        this.listener?.({
          what: 'records',
          key: '*',
          problem: `${this.suppressed} more corrupt records skipped in the last minute`,
        });
      this.windowStart = now;
      this.reported = 0;
      this.suppressed = 0;
    }
    if (this.reported >= REPORTS_PER_MINUTE) {
      this.suppressed += 1;
      return;
    }
    this.reported += 1;
    this.listener?.({ ...record, problem: record.problem.slice(0, 300) });
  }
}
