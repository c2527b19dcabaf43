/**
 * The agent's handle on one supervised job: started now by this agent on
 * one of its supervisor processes, or found by it at start (re-attached)
 * under a supervisor a previous run left. Its end is the supervisor's exit
 * record; a supervisor gone without one (killed by hand) is a lost job,
 * whose process group the agent stops itself so that nothing of it runs on
 * unseen.
 */
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { isGroupAlive, isRecordedAlive, killGroup } from './process-group.js';
import type { SupervisorPool, SupervisorProcess } from './pool.js';
import {
  exitFile,
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

/** How often a re-attached supervisor (not one of this agent's) is looked at. */
const POLL_MS = 100;

interface Where {
  dir: string;
  id: string;
  logPath: string;
  killGraceMs: number;
  /** The supervisors' stderr, quoted when one is lost. */
  stderrFile: string;
}

export class Supervised {
  readonly ended: Promise<SupervisedEnd>;
  private detachNow: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private unlisten: () => void = () => undefined;

  private constructor(
    private readonly where: Where,
    private readonly proc: SupervisorProcess | undefined,
    private readonly recorded: StartRecord | undefined,
    onLogGrew: () => void,
    onEnd: (clean: boolean) => void,
  ) {
    try {
      this.watcher = watch(where.logPath, () => onLogGrew());
      this.watcher.on('error', () => undefined);
    } catch {
      // no log file yet (a supervisor that never started): nothing to follow
    }
    this.ended = new Promise<SupervisedEnd>((resolve, reject) => {
      this.detachNow = () => reject(new DetachedError());
      const finish = (why: string): void => {
        this.quiet();
        const record = readRecord<ExitRecord>(exitFile(where.dir));
        onEnd(record !== null && why === '');
        if (record) resolve(record);
        else void this.lost(why).then(resolve);
      };
      if (proc) {
        const onEnded = (id: string): void => {
          if (id === where.id) finish('');
        };
        const onExit = (why: string): void => finish(why);
        proc.on('ended', onEnded).once('exit', onExit);
        this.unlisten = () => proc.off('ended', onEnded).off('exit', onExit);
      } else {
        this.timer = setInterval(() => {
          if (existsSync(exitFile(where.dir))) finish('');
          else if (!this.alive()) finish('is gone');
        }, POLL_MS);
      }
    });
    void this.ended.catch(() => undefined); // a detach nobody awaits is no error
  }

  /** Runs `spec` (its directory exists) on a supervisor of `pool`. */
  static launch(
    pool: SupervisorPool,
    spec: SuperviseSpec,
    stderrFile: string,
    onLogGrew: () => void,
  ): Supervised {
    const proc = pool.take();
    const where = { dir: spec.dir, id: spec.id, logPath: spec.logPath, stderrFile };
    const supervised = new Supervised(
      { ...where, killGraceMs: spec.killGraceMs },
      proc,
      undefined,
      onLogGrew,
      (clean) => (clean ? pool.give(proc) : proc.release()),
    );
    proc.run(spec);
    return supervised;
  }

  /** Follows a supervisor found alive (or ended) by an agent that started again. */
  static attach(
    dir: string,
    start: StartRecord,
    options: { killGraceMs: number; stderrFile: string },
    onLogGrew: () => void,
  ): Supervised {
    const where = { dir, id: start.id, logPath: start.logPath, ...options };
    return new Supervised(where, undefined, start, onLogGrew, () => undefined);
  }

  get pid(): number | undefined {
    return this.proc?.pid ?? this.recorded?.pid;
  }

  get dir(): string {
    return this.where.dir;
  }

  /** Asks the supervisor to stop the job; asking again skips the grace period. */
  stop(): void {
    if (this.proc) return this.proc.stop(this.where.id);
    // a supervisor of a previous run: it runs this job only, and quits after it
    if (!this.recorded || !this.alive()) return;
    try {
      process.kill(this.recorded.pid, 'SIGTERM');
    } catch {
      // gone already: its end is on the way
    }
  }

  /** Lets go of the job: it runs on, this agent reports nothing, `ended` rejects. */
  detach(): void {
    this.quiet();
    this.proc?.release();
    this.detachNow();
  }

  private alive(): boolean {
    if (this.recorded) return isRecordedAlive(this.recorded.pid, this.recorded.procStart);
    return this.proc?.alive ?? false;
  }

  private quiet(): void {
    clearInterval(this.timer);
    this.watcher?.close();
    this.unlisten();
  }

  /** The supervisor ended without a record: stop what is left of the job, and say why. */
  private async lost(why: string): Promise<SupervisedEnd> {
    const start = readRecord<StartRecord>(startFile(this.where.dir));
    if (start?.pgid && isGroupAlive(start.pgid))
      await killGroup(start.pgid, this.where.killGraceMs);
    const pid = this.pid;
    let said = '';
    try {
      const mark = `[pid ${pid}] `;
      const line = readFileSync(this.where.stderrFile, 'utf8')
        .split('\n')
        .findLast((l) => l.startsWith(mark));
      said = line ? line.slice(mark.length) : '';
    } catch {
      // it said nothing
    }
    return {
      code: null,
      signal: null,
      endedAt: Date.now(),
      lost: `the job's supervisor (pid ${pid ?? '?'}) ${why} before recording the job's end${said ? `: ${said}` : ''}; its processes were stopped`,
    };
  }
}
