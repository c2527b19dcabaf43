/**
 * The agent's supervised jobs (SPEC §16): it launches a supervisor for each
 * shell or executable job, finds at start the ones a previous run left
 * (survivors), re-attaches or fences them, and on a detaching shutdown lets
 * go of all of them at once.
 */
import { rmSync } from 'node:fs';
import { JobFailure, type ProcessKind, type ProcessSpec } from '../contracts/job-process.js';
import type { JobOutcome } from '../shared/types.js';
import { readResult } from './result-file.js';
import {
  exitFile,
  listJobDirs,
  makeJobDir,
  readRecord,
  resultFile,
  startFile,
  supervisorLog,
  type ExitRecord,
  type StartRecord,
} from './records.js';
import { SupervisorPool } from './pool.js';
import { isRecordedAlive } from './process-group.js';
import { Supervised, type SupervisedEnd } from './supervised.js';

export interface HostOptions {
  dataDir: string;
  killGraceMs: number;
  /** The heartbeat TTL: how long a job runs on without an agent. */
  orphanMs: number;
  /** The agent's run file (agent.json). */
  agentFile: string;
}

/** A job directory a previous run left. */
export interface Survivor {
  dir: string;
  /** Null when its supervisor never got as far as starting the job. */
  start: StartRecord | null;
  /** Set when the job ended while no agent was there. */
  exit: ExitRecord | null;
}

export class ProcessHost {
  private readonly live = new Set<Supervised>();
  private detaching = false;
  private readonly pool: SupervisorPool;
  private readonly stderrFile: string;

  constructor(
    private readonly options: HostOptions,
    private readonly onLogGrew: (id: string) => void,
  ) {
    this.stderrFile = supervisorLog(options.dataDir);
    this.pool = new SupervisorPool(this.stderrFile);
  }

  /** Supervised jobs this agent follows now. */
  get size(): number {
    return this.live.size;
  }

  /** Starts `spec` under a supervisor of its own. */
  launch(
    job: { id: string; root: string },
    token: string,
    kind: ProcessKind,
    spec: ProcessSpec,
    logPath: string,
  ): Supervised {
    const dir = makeJobDir(this.options.dataDir, job.id);
    const env =
      kind === 'executable' ? { ...spec.env, JOBTREE_RESULT_FILE: resultFile(dir) } : spec.env;
    const supervised = Supervised.launch(
      this.pool,
      {
        ...spec,
        env,
        id: job.id,
        root: job.root,
        token,
        kind,
        dir,
        logPath,
        agentFile: this.options.agentFile,
        orphanMs: this.options.orphanMs,
        killGraceMs: this.options.killGraceMs,
      },
      this.stderrFile,
      () => this.onLogGrew(job.id),
    );
    return this.track(supervised);
  }

  /** The job directories a previous run of this agent left behind. */
  survivors(): Survivor[] {
    return listJobDirs(this.options.dataDir).map((dir) => ({
      dir,
      start: readRecord<StartRecord>(startFile(dir)),
      exit: readRecord<ExitRecord>(exitFile(dir)),
    }));
  }

  /** Follows a survivor whose job Redis still shows RUNNING for this node. */
  attach(survivor: Survivor & { start: StartRecord }): Supervised {
    const { start } = survivor;
    return this.track(
      Supervised.attach(survivor.dir, start, this.attachOptions(), () => this.onLogGrew(start.id)),
    );
  }

  /**
   * Stops a survivor whose job is over in Redis (NODE_LOST past the TTL, or
   * aborted meanwhile): fencing. Resolves once its processes are gone and
   * its directory is removed.
   */
  async fence(survivor: Survivor): Promise<void> {
    if (survivor.start && !survivor.exit) {
      const supervised = Supervised.attach(
        survivor.dir,
        survivor.start,
        this.attachOptions(),
        () => undefined,
      );
      if (isRecordedAlive(survivor.start.pid, survivor.start.procStart)) supervised.stop();
      await supervised.ended;
    }
    this.remove(survivor.dir);
  }

  /** Forgets a job whose end is reported. */
  remove(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
  }

  /** Lets go of every supervised job (a detaching shutdown); answers how many run on. */
  detachAll(): number {
    this.detaching = true;
    const n = this.live.size;
    for (const supervised of this.live) supervised.detach();
    this.live.clear();
    this.pool.close();
    return n;
  }

  /** Lets the idle supervisors go (the agent stops; its jobs are over or detached). */
  close(): void {
    this.pool.close();
  }

  private attachOptions() {
    return { killGraceMs: this.options.killGraceMs, stderrFile: this.stderrFile };
  }

  private track(supervised: Supervised): Supervised {
    if (this.detaching) {
      supervised.detach();
      return supervised;
    }
    this.live.add(supervised);
    void supervised.ended.then(
      () => this.live.delete(supervised),
      () => this.live.delete(supervised),
    );
    return supervised;
  }
}

/** A supervised job's outcome from its end, as the job type would have answered (SPEC §5, §11). */
export function outcomeOf(kind: ProcessKind, end: SupervisedEnd, dir: string): JobOutcome {
  if (end.lost) throw new JobFailure('SUPERVISOR_LOST', end.lost);
  if (end.spawnError) throw new JobFailure('SPAWN', end.spawnError);
  if (end.stoppedBy === 'orphaned')
    throw new JobFailure(
      'NODE_LOST',
      'stopped by its supervisor: no agent ran on the node for the heartbeat TTL',
    );
  if (end.code !== 0)
    throw new JobFailure('EXIT', end.signal ? `killed by ${end.signal}` : `exit code ${end.code}`);
  if (kind === 'shell') return { result: { exitCode: 0 }, summary: 'exit 0' };
  const result = readResult(resultFile(dir));
  return result === undefined ? { summary: 'exit 0' } : { result, summary: 'exit 0' };
}
