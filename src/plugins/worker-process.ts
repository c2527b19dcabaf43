/**
 * The agent's side of one worker process (SPEC §11 isolation): forks
 * type-worker.js with the heap limit, loads a module in it, runs jobs and
 * bridges their log lines and grafts. When the process ends for any reason
 * every job it had fails with TYPE_CRASHED; the agent itself goes on.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JobFailure } from '../contracts/job-process.js';
import type { JobOutcome, JobSpec } from '../shared/types.js';
import type { ExportedType, FromWorker, JobData, ToWorker } from './protocol.js';

// The compiled worker, whether this file runs from src (under tsx, which a
// forked process would not inherit) or from dist (as log-writer.ts does).
const WORKER_PATH = fileURLToPath(new URL('../../dist/plugins/type-worker.js', import.meta.url));

/** How long a module may take to import before its version is refused. */
const LOAD_TIMEOUT_MS = 10_000;
/** stderr kept to explain a crash (a heap overflow says so there). */
const STDERR_KEPT = 4096;

export interface JobHooks {
  log(line: string, source: 'job' | 'stdout' | 'stderr' | 'file'): void;
  addChildren(parentId: string, jobs: JobSpec[]): Promise<string[]>;
}

interface Pending {
  hooks: JobHooks;
  resolve(outcome: JobOutcome): void;
  reject(err: Error): void;
}

export class WorkerProcess {
  private readonly pending = new Map<string, Pending>();
  private stderr = '';
  private crash: string | undefined;
  private exited = false;
  readonly ended: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly label: string,
  ) {
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-STDERR_KEPT);
    });
    child.stdout?.resume(); // a module's console.log goes nowhere (its jobs have ctx.log)
    child.on('message', (m: FromWorker) => this.onMessage(m));
    this.ended = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exited = true;
        this.failAll(this.describeExit(code, signal));
        resolve();
      }),
    );
  }

  /**
   * Forks a worker and loads `file` in it; resolves with the worker and the
   * types the module exports, or rejects with why it failed to load (the
   * worker is gone then).
   */
  static async start(
    file: string,
    options: { maxHeapMb: number; label: string; env: Record<string, string> },
  ): Promise<{ worker: WorkerProcess; types: ExportedType[] }> {
    const child = fork(WORKER_PATH, [], {
      execArgv: [`--max-old-space-size=${options.maxHeapMb}`],
      // SPEC §18: a module's code never sees the agent's settings or secrets
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const worker = new WorkerProcess(child, options.label);
    let timer: NodeJS.Timeout | undefined;
    try {
      const types = await new Promise<ExportedType[]>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`import did not finish within ${LOAD_TIMEOUT_MS} ms`)),
          LOAD_TIMEOUT_MS,
        );
        child.once('message', (m: FromWorker) => {
          if (m.t === 'loaded') resolve(m.types);
          else if (m.t === 'loadFailed') reject(new Error(m.message));
          else if (m.t === 'crash') reject(new Error(m.message));
        });
        void worker.ended.then(() => reject(new Error(worker.crash ?? worker.lastStderr())));
        worker.send({ t: 'load', file });
      });
      return { worker, types };
    } catch (err) {
      worker.kill();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  get alive(): boolean {
    return !this.exited;
  }

  get jobs(): number {
    return this.pending.size;
  }

  /** Runs a job; rejects with a JobFailure TYPE_CRASHED when the process ends first. */
  run(type: string, job: JobData, hooks: JobHooks): Promise<JobOutcome> {
    if (this.exited) return Promise.reject(this.crashed('the worker had exited'));
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { hooks, resolve, reject });
      this.send({ t: 'run', type, job });
    });
  }

  abort(id: string, reason: string): void {
    if (this.pending.has(id)) this.send({ t: 'abort', id, reason });
  }

  /** SIGKILL: for a job that ignores its signal, and on unload. */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private send(message: ToWorker): void {
    if (this.exited || !this.child.connected) return;
    this.child.send(message, (err) => {
      if (err) this.kill(); // the channel broke: the exit handler fails its jobs
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.t === 'crash') {
      this.crash = m.message;
      return;
    }
    if (m.t === 'loaded' || m.t === 'loadFailed') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    switch (m.t) {
      case 'log':
        p.hooks.log(m.line, m.source);
        break;
      case 'graft':
        p.hooks.addChildren(m.parentId, m.jobs).then(
          (ids) => this.send({ t: 'grafted', req: m.req, ids }),
          (err: Error) => this.send({ t: 'grafted', req: m.req, error: err.message }),
        );
        break;
      case 'done':
        this.pending.delete(m.id);
        p.resolve(m.outcome);
        break;
      case 'failed': {
        this.pending.delete(m.id);
        if (m.stack) p.hooks.log(m.stack, 'job');
        p.reject(new JobFailure(m.error.code, m.error.message));
        break;
      }
    }
  }

  private lastStderr(): string {
    const lines = this.stderr.trim().split('\n').filter(Boolean);
    return lines.slice(-3).join(' | ') || 'no output';
  }

  private describeExit(code: number | null, signal: NodeJS.Signals | null): string {
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    if (this.crash) return `${this.label} worker ${how}: ${this.crash.split('\n')[0]}`;
    if (/heap out of memory|heap limit/i.test(this.stderr))
      return `${this.label} worker ${how}: its heap passed jobTypes.maxHeapMb`;
    return `${this.label} worker ${how} (${this.lastStderr()})`;
  }

  private crashed(message: string): JobFailure {
    return new JobFailure('TYPE_CRASHED', message);
  }

  private failAll(message: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(this.crashed(message));
    }
  }
}
