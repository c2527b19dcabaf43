/**
 * The agent's handle on one supervised job (main.ts is the supervisor):
 * started now by this agent, or found alive by it at start (re-attached).
 * Its end is the supervisor's exit record; a supervisor gone without one
 * (killed by hand) is a lost job, whose process group the agent stops
 * itself so that nothing of it runs on unseen.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isGroupAlive, killGroup } from './process-group.js';
import {
  exitFile,
  isRecordedAlive,
  readRecord,
  startFile,
  type ExitRecord,
  type StartRecord,
  type SuperviseSpec,
} from './records.js';

/** How the agent saw a supervised job end: the supervisor's record, or why there is none. */
export interface SupervisedEnd extends ExitRecord {
  /** The supervisor ended without recording the job's end. */
  lost?: string;
}

/** The agent let go of the job (shutdown.mode "detach"): it runs on, and the next agent reports it. */
export class DetachedError extends Error {
  constructor() {
    super('detached: the job runs on under its supervisor');
    this.name = 'DetachedError';
  }
}

// Always the compiled file, from src (tests run through tsx, which a child
// process does not inherit) and from dist alike, as the type worker is.
const SUPERVISOR = fileURLToPath(
  new URL('../../../dist/node-agent/supervisor/main.js', import.meta.url),
);
// A supervisor is small: it holds two pipes and a file. These keep its heap so.
const V8_FLAGS = ['--max-old-space-size=32', '--max-semi-space-size=1'];
/** How often a re-attached supervisor (not a child of this agent) is looked at. */
const POLL_MS = 100;

export class Supervised {
  readonly ended: Promise<SupervisedEnd>;
  private detachNow: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;

  private constructor(
    readonly dir: string,
    private readonly killGraceMs: number,
    private readonly child: ChildProcess | undefined,
    private readonly recorded: StartRecord | undefined,
    logPath: string,
    onLogGrew: () => void,
  ) {
    try {
      this.watcher = watch(logPath, () => onLogGrew());
      this.watcher.on('error', () => undefined);
    } catch {
      // no log file yet (a supervisor that never started): nothing to follow
    }
    this.ended = new Promise<SupervisedEnd>((resolve, reject) => {
      this.detachNow = () => reject(new DetachedError());
      const finish = (why: string): void => {
        this.quiet();
        const record = readRecord<ExitRecord>(exitFile(dir));
        if (record) resolve(record);
        else void this.lost(why).then(resolve);
      };
      if (child) {
        child.once('exit', (code, signal) =>
          finish(signal ? `was killed by ${signal}` : `exited with code ${code}`),
        );
        child.once('error', (err) => finish(`could not start (${err.message})`));
      } else {
        this.timer = setInterval(() => {
          if (existsSync(exitFile(dir))) finish('');
          else if (!this.alive()) finish('is gone');
        }, POLL_MS);
      }
    });
    void this.ended.catch(() => undefined); // a detach nobody awaits is no error
  }

  /** Starts a supervisor for `spec` (its directory exists) and hands it the spec. */
  static launch(spec: SuperviseSpec, onLogGrew: () => void): Supervised {
    const err = openSync(join(spec.dir, 'supervisor.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...V8_FLAGS, SUPERVISOR], {
        detached: true, // a session of its own: it outlives the agent and its terminal
        stdio: ['pipe', 'ignore', err],
        env: {}, // the job's environment travels in the spec, not the agent's NODE_OPTIONS
      });
    } finally {
      closeSync(err);
    }
    child.stdin?.on('error', () => undefined); // it died first: its exit says why
    child.stdin?.end(JSON.stringify(spec));
    return new Supervised(spec.dir, spec.killGraceMs, child, undefined, spec.logPath, onLogGrew);
  }

  /** Follows a supervisor found alive (or ended) by an agent that started again. */
  static attach(
    dir: string,
    start: StartRecord,
    killGraceMs: number,
    onLogGrew: () => void,
  ): Supervised {
    return new Supervised(dir, killGraceMs, undefined, start, start.logPath, onLogGrew);
  }

  get pid(): number | undefined {
    return this.child?.pid ?? this.recorded?.pid;
  }

  /** Asks the supervisor to stop the job; asking again skips the grace period. */
  stop(): void {
    const pid = this.pid;
    if (pid === undefined || (this.recorded && !this.alive())) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already: its end is on the way
    }
  }

  /** Lets go of the job: it runs on, this agent reports nothing, `ended` rejects. */
  detach(): void {
    this.quiet();
    this.child?.unref();
    this.detachNow();
  }

  private alive(): boolean {
    if (this.recorded) return isRecordedAlive(this.recorded.pid, this.recorded.procStart);
    return this.child?.exitCode === null && this.child.signalCode === null;
  }

  private quiet(): void {
    clearInterval(this.timer);
    this.watcher?.close();
  }

  /** The supervisor ended without a record: stop what is left of the job, and say why. */
  private async lost(why: string): Promise<SupervisedEnd> {
    const start = readRecord<StartRecord>(startFile(this.dir));
    if (start?.pgid && isGroupAlive(start.pgid)) await killGroup(start.pgid, this.killGraceMs);
    let said = '';
    try {
      said = readFileSync(join(this.dir, 'supervisor.log'), 'utf8').trim().split('\n')[0] ?? '';
    } catch {
      // it said nothing
    }
    return {
      code: null,
      signal: null,
      endedAt: Date.now(),
      lost: `the job's supervisor (pid ${this.pid ?? '?'}) ${why} before recording the job's end${said ? `: ${said}` : ''}; its processes were stopped`,
    };
  }
}
