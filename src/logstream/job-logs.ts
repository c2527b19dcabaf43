/**
 * The job logs of this node: opens them, tells the followers of a job when
 * its log grows or is complete on disk, archives the log of a job that
 * ended (SPEC §19, with an archiver), and waits for all of them when the
 * agent stops, so no line a job wrote is lost to a clean shutdown.
 */
import { readForArchive, type LogArchiver } from './archive.js';
import { JobLog, logPath } from './log-file.js';
import { LogWriter } from './log-writer.js';
import { Delay } from './window.js';

/** How long a new log's first lines wait before its file is created. */
export const FIRST_FLUSH_MS = 10;

export class JobLogs {
  private readonly closing = new Set<Promise<void>>();
  /**
   * The watchers of each job's log: a change pokes its own job's only, so
   * a growth costs the same with one follower on the node or thousands
   * (SPEC §18: no subscriber can slow the others down).
   */
  private readonly watchers = new Map<string, Set<() => void>>();
  /** Job id → root, of the logs that may still grow: open, or closed but not yet on disk. */
  private readonly live = new Map<string, string>();

  private readonly writer = new LogWriter();
  /** One timer for the first flush of every new log (FIRST_FLUSH_MS after its first line). */
  private readonly firstFlush = new Delay<JobLog>(FIRST_FLUSH_MS, (logs) => {
    for (const log of logs) log.flush(); // a closed log was written whole by the writer thread
  });

  /** `archiver`: where the logs of ended jobs go (SPEC §19); none when archives are off. */
  constructor(
    readonly dataDir: string,
    private readonly archiver?: LogArchiver,
  ) {}

  open(root: string, id: string): JobLog {
    this.live.set(id, root);
    return new JobLog(
      logPath(this.dataDir, root, id),
      this.writer,
      this.firstFlush,
      () => this.changed(id),
      { root, id },
    );
  }

  /**
   * Calls `onChange` whenever the job's log grows or is complete on disk;
   * answers the function that stops it.
   */
  watch(id: string, onChange: () => void): () => void {
    let set = this.watchers.get(id);
    if (!set) this.watchers.set(id, (set = new Set()));
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0 && this.watchers.get(id) === set) this.watchers.delete(id);
    };
  }

  /** Watchers in all (a bound for tests: an ended follower holds none). */
  get watching(): number {
    let n = 0;
    for (const set of this.watchers.values()) n += set.size;
    return n;
  }

  /**
   * New bytes of the job's log are on disk (written here, or by its
   * supervisor, SPEC §16), or it is complete: its followers read on.
   */
  changed(id: string): void {
    const set = this.watchers.get(id);
    if (set) for (const onChange of [...set]) onChange();
  }

  /** The path of a job's log on this node (ids are validated). */
  path(root: string, id: string): string {
    return logPath(this.dataDir, root, id);
  }

  /** The jobs of a tree whose logs on this node may still grow (a merged tail's last look). */
  liveOf(root: string): string[] {
    const ids: string[] = [];
    for (const [id, r] of this.live) if (r === root) ids.push(id);
    return ids;
  }

  /** True while the job's log on this node may still grow. */
  isLive(id: string): boolean {
    return this.live.has(id);
  }

  /**
   * Resolves once the job's log is complete on disk (at once when it is
   * not live here), or after `timeoutMs`: a read right after the job's end
   * was published waits for the last lines, which the runner writes once
   * Redis has the end, without holding the end back (SPEC §19: a job's end
   * comes after its log). True when complete.
   */
  complete(id: string, timeoutMs: number): Promise<boolean> {
    if (!this.live.has(id)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        stop();
        resolve(value);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const stop = this.watch(id, () => {
        if (!this.live.has(id)) done(true);
      });
    });
  }

  /**
   * Closes `log` in the background; drain() waits for it. `ended`: the job
   * is over (not left to run on under its supervisor), so its log is
   * archived once it is on disk.
   */
  release(log: JobLog, ended: boolean): void {
    const { id } = log.job;
    const done = log
      .close()
      .catch(() => undefined) // the disk failed: the log is incomplete, and ends all the same
      .then(async () => {
        this.live.delete(id);
        this.changed(id);
        if (ended) await this.archive(log).catch(() => undefined); // the archiver says what it drops
      });
    this.closing.add(done);
    void done.finally(() => this.closing.delete(done));
  }

  private async archive(log: JobLog): Promise<void> {
    if (!this.archiver) return;
    const copy = log.copy.text;
    const text = copy ?? (await readForArchive(log.path, this.archiver.maxBytes));
    if (text) await this.archiver.keep(log.job.root, log.job.id, text);
  }

  /** Resolves when every released log is on disk and archived, and stops the writer thread. */
  async drain(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
    await this.archiver?.drain();
    await this.writer.close();
  }
}
