/**
 * One append-only log file per job, on the node that runs it (SPEC §6):
 * `<dataDir>/logs/<root>/<job>.log`, its path built only from validated
 * ids so it can never leave the data dir. Each line:
 * `<ISO time> <source> <text>`; the source tells stderr apart.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { ValidationError } from '../shared/errors.js';
import { isJobId } from '../shared/ids.js';
import { LogCopy } from './archive.js';
import type { LogWriter } from './log-writer.js';
import type { Delay } from './window.js';

export type LogSource = 'agent' | 'job' | 'stdout' | 'stderr' | 'file';

/**
 * SPEC §18: a job's output may hold what only the agent's group should
 * read; no log is world-readable, whatever the process's umask lets by.
 */
export const LOG_FILE_MODE = 0o640;
export const LOG_DIR_MODE = 0o750;

/** The log path of a job; throws on ids that are not UUIDs (SPEC §10). */
export function logPath(dataDir: string, root: string, id: string): string {
  if (!isJobId(root) || !isJobId(id)) throw new ValidationError('bad job id', 'id');
  const logs = resolve(dataDir, 'logs');
  const path = resolve(logs, root.toLowerCase(), `${id.toLowerCase()}.log`);
  if (!path.startsWith(logs + sep)) throw new ValidationError('bad job id', 'id');
  return path;
}

/** Formats one log line; multi-line text becomes several lines. */
export function formatLines(source: LogSource, text: string, at = new Date()): string {
  const stamp = at.toISOString();
  if (!text.includes('\n')) return `${stamp} ${source} ${text}\n`;
  return text
    .split(/\r?\n/)
    .map((line) => `${stamp} ${source} ${line}\n`)
    .join('');
}

/**
 * An open job log. Lines are buffered and appended together once per
 * event-loop turn, in order, so a slow disk never stalls the agent's loop
 * and a job's end is reported without waiting for its log. A job that ends
 * before its first flush (most bookkeeping jobs) has its whole log written
 * in one go by the writer thread (log-writer.ts); a longer one keeps its
 * file open and appends through the thread pool, whose threads work in
 * parallel for many busy logs.
 */
export class JobLog {
  private pending: string[] = [];
  private scheduled = false;
  private closed = false;
  /** Set once the file is opened on the thread pool (a first flush before close). */
  private flushed = false;
  private handle: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** What was written, while it is small: the archive needs no read of the file (SPEC §19). */
  readonly copy = new LogCopy();

  /**
   * `firstFlush` delays a new log's first flush (JobLogs.FIRST_FLUSH_MS, one
   * timer for all logs); `onWritten` runs after each append reaches the file
   * (followers read on).
   */
  constructor(
    readonly path: string,
    private readonly writer: LogWriter,
    private readonly firstFlush: Delay<JobLog>,
    private readonly onWritten: () => void = () => undefined,
    /** The job whose log this is. */
    readonly job: { root: string; id: string },
  ) {}

  write(source: LogSource, text: string): void {
    if (this.closed) return;
    const lines = formatLines(source, text);
    this.pending.push(lines);
    this.copy.add(lines);
    if (!this.scheduled) {
      this.scheduled = true;
      if (!this.flushed) this.firstFlush.add(this);
      else setImmediate(() => this.flush());
    }
  }

  /**
   * Appends what is buffered now and resolves once it is in the file: a
   * job's supervisor appends its output after the agent's first lines.
   */
  sync(): Promise<void> {
    this.copy.drop(); // the supervisor appends to the file itself from now on
    this.flush();
    return this.chain;
  }

  /** Appends what is buffered (nothing once closed: close() writes the rest). */
  flush(): void {
    this.scheduled = false;
    if (this.closed || this.pending.length === 0) return;
    this.flushed = true;
    this.appendOnPool(this.take(), false);
  }

  private take(): string {
    const data = this.pending.join('');
    this.pending = [];
    return data;
  }

  /** Appends through an open FileHandle, in order after earlier appends; closes it when asked. */
  private appendOnPool(data: string, close: boolean): void {
    this.chain = this.chain
      .then(async () => {
        if (data !== '') {
          this.handle ??= await openFile(this.path);
          await this.handle.write(data);
          this.onWritten();
        }
        if (close) await this.handle?.close();
      })
      .catch(() => undefined); // disk full or data dir gone: the job goes on, its log is incomplete
  }

  /** Writes what is buffered and closes the file; resolves when it is on disk. Later writes are ignored. */
  close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    const data = this.take();
    if (!this.flushed && data !== '') {
      // never flushed: create, write and close in one message to the writer thread
      this.chain = this.writer.append(this.path, data).then((whole) => {
        if (!whole) this.copy.drop(); // an earlier try's lines come first in the file
        this.onWritten();
      });
    } else {
      this.copy.drop(); // appended to on the pool: the file may hold more than the copy
      this.appendOnPool(data, true);
    }
    return this.chain;
  }
}

const madeDirs = new Set<string>();

async function openFile(path: string): Promise<FileHandle> {
  const dir = dirname(path);
  if (!madeDirs.has(dir)) {
    await mkdir(dir, { recursive: true, mode: LOG_DIR_MODE });
    madeDirs.add(dir);
  }
  return open(path, 'a', LOG_FILE_MODE);
}
