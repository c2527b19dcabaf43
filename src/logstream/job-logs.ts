/**
 * The job logs of this node: opens them, tells followers when one grows or
 * is complete on disk, and waits for all of them when the agent stops, so
 * no line a job wrote is lost to a clean shutdown.
 */
import { EventEmitter } from 'node:events';
import { JobLog, logPath } from './log-file.js';
import { LogWriter } from './log-writer.js';
import { Delay } from './window.js';

/** How long a new log's first lines wait before its file is created. */
export const FIRST_FLUSH_MS = 10;

export interface JobLogEvents {
  /** New bytes of the job's log are on disk. */
  'log:grew': [id: string];
  /** The job's log is closed and complete on disk. */
  'log:closed': [id: string];
}

export class JobLogs extends EventEmitter<JobLogEvents> {
  private readonly closing = new Set<Promise<void>>();
  /** Job ids whose log may still grow: open, or closed but not yet on disk. */
  private readonly live = new Set<string>();

  private readonly writer = new LogWriter();
  /** One timer for the first flush of every new log (FIRST_FLUSH_MS after its first line). */
  private readonly firstFlush = new Delay<JobLog>(FIRST_FLUSH_MS, (logs) => {
    for (const log of logs) log.flush(); // a closed log was written whole by the writer thread
  });

  constructor(readonly dataDir: string) {
    super();
    this.setMaxListeners(0); // one listener per follower
  }

  open(root: string, id: string): JobLog {
    this.live.add(id);
    return new JobLog(logPath(this.dataDir, root, id), this.writer, this.firstFlush, () =>
      this.emit('log:grew', id),
    );
  }

  /**
   * Someone else appended to the job's log (its supervisor, SPEC §16):
   * followers read on.
   */
  grew(id: string): void {
    this.emit('log:grew', id);
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
      this.emit('log:closed', id);
    });
  }

  /** Resolves when every released log is on disk, and stops the writer thread. */
  async drain(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
    await this.writer.close();
  }
}
