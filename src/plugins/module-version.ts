/**
 * One loaded version of a module file (SPEC §11): the types it exports, run
 * in a worker process of their own. A crashed worker is replaced for the
 * next job; a retired version (replaced or removed) keeps its worker until
 * its last job ends, then closes it (the lock: a running job finishes on
 * the code it started with). ESM cannot be unloaded from a process, so a
 * new version is always a new worker.
 */
import { readFileSync } from 'node:fs';
import { sha256Of } from '../shared/sha256.js';
import type { JobOutcome, TypeSource } from '../shared/types.js';
import { JobFailure } from '../contracts/job-process.js';
import type { JobContext, JobType } from '../node-agent/job-types/job-type.js';
import type { ExportedType } from './protocol.js';
import { WorkerProcess } from './worker-process.js';

export interface VersionOptions {
  maxHeapMb: number;
  /** The worker's environment: the agent's, without its settings (job-env.ts, SPEC §18). */
  env: Record<string, string>;
  /** How long a job that ignores its abort signal has before its worker is killed. */
  killGraceMs: number;
}

export interface VersionId {
  file: string;
  sha256: string;
  /** The version as jobs record it: `3` for a registered one, the sha's head for a file. */
  version: string;
  source: TypeSource;
  /** What the worker's errors call it. */
  label: string;
}

export class ModuleVersion {
  private worker: WorkerProcess | null;
  private starting: Promise<WorkerProcess> | null = null;
  private running = 0;
  private users = 0;
  private closed = false;

  private constructor(
    readonly id: VersionId,
    readonly types: ExportedType[],
    first: WorkerProcess,
    private readonly options: VersionOptions,
    private readonly onClosed: (v: ModuleVersion) => void,
  ) {
    this.worker = first;
  }

  /** Loads the module in a first worker; rejects with the reason it failed to load. */
  static async load(
    id: VersionId,
    options: VersionOptions,
    onClosed: (v: ModuleVersion) => void = () => undefined,
  ): Promise<ModuleVersion> {
    const { worker, types } = await WorkerProcess.start(id.file, {
      maxHeapMb: options.maxHeapMb,
      label: id.label,
      env: options.env,
    });
    return new ModuleVersion(id, types, worker, options, onClosed);
  }

  /** The exported type `name` of this version, for the registry, named `as`. */
  jobType(name: string, as = name): JobType {
    const exported = this.types.find((t) => t.name === name);
    if (!exported) throw new Error(`${this.id.label} exports no type ${name}`);
    return { name: as, paramsSchema: exported.paramsSchema, run: (ctx) => this.run(name, ctx) };
  }

  /** A registry entry points at this version (one per type name it serves). */
  attach(): void {
    this.users += 1;
  }

  /** An entry no longer points here; the last one retires the version. */
  detach(): void {
    this.users -= 1;
    this.closeIfUnused();
  }

  /** Jobs running on this version now. */
  get jobs(): number {
    return this.running;
  }

  /** Kills the worker at once (the agent is stopping; its jobs were drained first). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker?.kill();
    this.onClosed(this);
  }

  /** Closes the worker when no registry entry points here and no job runs. */
  closeIfUnused(): void {
    if (this.users <= 0 && this.running === 0) this.close();
  }

  private async run(name: string, ctx: JobContext): Promise<JobOutcome> {
    this.running += 1;
    let killer: NodeJS.Timeout | undefined;
    let worker: WorkerProcess | undefined;
    const onAbort = (): void => {
      worker?.abort(ctx.id, String((ctx.signal.reason as Error | undefined)?.message ?? 'aborted'));
      killer ??= setTimeout(() => worker?.kill(), this.options.killGraceMs);
    };
    try {
      worker = await this.liveWorker();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      if (ctx.signal.aborted) onAbort();
      return await worker.run(
        name,
        {
          id: ctx.id,
          root: ctx.root,
          parent: ctx.parent,
          title: ctx.title,
          node: ctx.node,
          params: ctx.params,
          tags: { ...ctx.tags },
          context: { ...ctx.context },
          results: { byKey: { ...ctx.results.byKey }, byId: { ...ctx.results.byId } },
          serverUrl: ctx.serverUrl,
          jobToken: ctx.jobToken,
          ...(ctx.outcome ? { outcome: ctx.outcome } : {}),
        },
        { log: (line, source) => ctx.log(line, source), addChildren: ctx.addChildren },
      );
    } finally {
      clearTimeout(killer);
      ctx.signal.removeEventListener('abort', onAbort);
      this.running -= 1;
      this.closeIfUnused();
    }
  }

  /** The worker, or a fresh one after a crash (SPEC §11: a fresh worker takes the next job). */
  private async liveWorker(): Promise<WorkerProcess> {
    if (this.worker?.alive) return this.worker;
    if (this.closed) throw new JobFailure('TYPE_CRASHED', `${this.id.label} is unloaded`);
    this.starting ??= this.respawn().finally(() => (this.starting = null));
    return this.starting;
  }

  private async respawn(): Promise<WorkerProcess> {
    // a file edited since this version loaded is a new version (the scan loads it): never run
    // its new code under this version's name
    let now: string;
    try {
      now = sha256Of(readFileSync(this.id.file));
    } catch (err) {
      throw new JobFailure('TYPE_CRASHED', `${this.id.label}: ${(err as Error).message}`);
    }
    if (now !== this.id.sha256)
      throw new JobFailure('TYPE_CRASHED', `${this.id.label} changed on disk since it loaded`);
    try {
      const { worker } = await WorkerProcess.start(this.id.file, {
        maxHeapMb: this.options.maxHeapMb,
        label: this.id.label,
        env: this.options.env,
      });
      this.worker = worker;
      if (this.closed) worker.kill();
      return worker;
    } catch (err) {
      throw new JobFailure('TYPE_CRASHED', `${this.id.label}: ${(err as Error).message}`);
    }
  }
}
