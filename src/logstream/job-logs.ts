/**
 * The job logs an agent has open: opens them, remembers those not yet on
 * disk, and waits for all of them when the agent stops, so no line a job
 * wrote is lost to a clean shutdown.
 */
import { JobLog, logPath } from './log-file.js';

export class JobLogs {
  private readonly closing = new Set<Promise<void>>();
  /** Job ids whose log may still grow: open, or closed but not yet on disk. */
  private readonly live = new Set<string>();

  constructor(readonly dataDir: string) {}

  open(root: string, id: string): JobLog {
    this.live.add(id);
    return JobLog.open(this.dataDir, root, id);
  }

  /** The path of a job's log on this node (ids are validated). */
  path(root: string, id: string): string {
    return logPath(this.dataDir, root, id);
  }

  /** True while the job's log on this node may still grow. */
  isLive(id: string): boolean {
    return this.live.has(id);
  }

  /** Closes `log` in the background; drain() waits for it. */
  release(log: JobLog, id: string): void {
    const done = log.close();
    this.closing.add(done);
    void done.finally(() => {
      this.closing.delete(done);
      this.live.delete(id);
    });
  }

  /** Resolves when every released log is on disk. */
  async drain(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }
}
