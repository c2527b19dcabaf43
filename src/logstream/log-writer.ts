/**
 * Writes whole short job logs on a thread of their own. A short job's log
 * is created, written and closed at once, and through fs.promises each of
 * those is a thread-pool round trip: the benchmark showed the agent
 * spending more kernel time on those hand-offs than on its jobs. The logs
 * finished within BATCH_MS go to the writer thread as one message (one
 * thread wake-up, not one per job), and each write resolves once its file
 * is complete on disk.
 */
import { Worker } from 'node:worker_threads';
import { Window } from './window.js';

export interface WriteOp {
  id: number;
  path: string;
  data: string;
}
export type WriteBatch = WriteOp[];
export interface WriteDone {
  ids: number[];
  failed: number[];
  /** Ids done whose file existed before: the data was not the whole file. */
  appended: number[];
}

// Always the compiled file, from src (tests and the benchmark run it through
// tsx) and from dist alike: plain JavaScript, so the thread starts without the
// parent's --import loaders (a thread inherits them: tsx made each start cost
// ~0.3 s of CPU, 100 agents of the bench's fleet half a minute).
const WORKER_URL = new URL('../../dist/logstream/log-writer-worker.js', import.meta.url);

/** How long appends gather before they go to the thread as one message. */
const BATCH_MS = 5;

export class LogWriter {
  private worker: Worker | undefined;
  private readonly batch = new Window<WriteOp>(BATCH_MS, (ops) => this.send(ops));
  /** Resolvers of the appends not yet answered, by id: true when the data is the whole file. */
  private readonly waiting = new Map<number, (whole: boolean) => void>();
  private readonly unanswered = new Set<Promise<boolean>>();
  private nextId = 1;

  /**
   * Appends `data` to the file at `path` and closes it; resolves when done,
   * even if the disk failed: true when the file is `data` alone (it was
   * created by this append).
   */
  append(path: string, data: string): Promise<boolean> {
    const id = this.nextId++;
    this.batch.add({ id, path, data });
    const done = new Promise<boolean>((resolve) => this.waiting.set(id, resolve));
    this.unanswered.add(done);
    void done.then(() => this.unanswered.delete(done));
    return done;
  }

  /** Stops the thread once every append made has been answered. */
  async close(): Promise<void> {
    this.batch.flush();
    await Promise.all(this.unanswered);
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private send(batch: WriteBatch): void {
    const worker = this.start();
    worker.ref(); // answers are due: stay alive for them
    worker.postMessage(batch);
  }

  private start(): Worker {
    if (!this.worker) {
      const worker = new Worker(WORKER_URL, { execArgv: [] });
      worker.unref(); // an idle writer never keeps the process alive
      worker.on('message', (done: WriteDone) => {
        const partial = new Set([...done.appended, ...done.failed]);
        for (const id of [...done.ids, ...done.failed]) {
          this.waiting.get(id)?.(!partial.has(id));
          this.waiting.delete(id);
        }
        if (this.waiting.size === 0) worker.unref();
      });
      worker.on('error', (err) => {
        // the thread died: say so, release every waiter (those logs are incomplete), start afresh
        process.emitWarning(`job log writer thread failed: ${err.message}`);
        for (const resolve of this.waiting.values()) resolve(false);
        this.waiting.clear();
        this.worker = undefined;
      });
      this.worker = worker;
    }
    return this.worker;
  }
}
