/**
 * The supervisor's end of a job log: lines gathered for one event-loop turn
 * and appended with one write (O_APPEND, so the agent's own lines in the
 * same file never tear them). The writes are synchronous: the supervisor
 * has nothing else to do, and a line is on disk before the job is recorded
 * as ended. A full disk costs lines, never the job: they are counted and
 * the first error is kept for the exit record.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatLines, LOG_DIR_MODE, LOG_FILE_MODE, type LogSource } from '../logstream/log-file.js';

export class AppendLog {
  private readonly fd: number;
  private pending: string[] = [];
  private scheduled = false;
  /** The first write error, and the lines lost to errors. */
  error: string | undefined;
  lost = 0;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: LOG_DIR_MODE });
    this.fd = openSync(path, 'a', LOG_FILE_MODE);
  }

  write(source: LogSource, line: string): void {
    this.pending.push(formatLines(source, line));
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    const data = Buffer.from(lines.join(''));
    try {
      let done = 0;
      while (done < data.length) done += writeSync(this.fd, data, done);
    } catch (err) {
      this.error ??= (err as Error).message;
      this.lost += lines.length;
    }
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
