/**
 * The job logs an agent has open: opens them, remembers those not yet on
 * disk, and waits for all of them when the agent stops, so no line a job
 * wrote is lost to a clean shutdown.
 */
import { JobLog } from './log-file.js';

export class JobLogs {
  private readonly closing = new Set<Promise<void>>();

  constructor(private readonly dataDir: string) {}

  open(root: string, id: string): JobLog {
    return JobLog.open(this.dataDir, root, id);
  }

  /** Closes `log` in the background; drain() waits for it. */
  release(log: JobLog): void {
    const done = log.close();
    this.closing.add(done);
    void done.finally(() => this.closing.delete(done));
  }

  /** Resolves when every released log is on disk. */
  async drain(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }
}
