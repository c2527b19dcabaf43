/**
 * The messages between the agent and a job type's worker process (SPEC
 * §11 isolation), over the IPC channel of child_process.fork. Types only:
 * both sides import this file, so they cannot drift apart.
 */
import type { JobError, JobOutcome, JobSpec, JsonObject, Outcome } from '../shared/types.js';

/** What a worker knows of a job: the data of its ctx (SPEC §5), without the functions. */
export interface JobData {
  id: string;
  root: string;
  parent: string | null;
  title: string;
  node: string;
  params: JsonObject;
  tags: Record<string, string>;
  context: JsonObject;
  results: { byKey: Record<string, unknown>; byId: Record<string, unknown> };
  serverUrl: string;
  /** The job's own token for the agent's API (SPEC §18), valid while it runs. */
  jobToken: string;
  outcome?: Outcome;
}

/** A type as a module exports it, once loaded. */
export interface ExportedType {
  name: string;
  paramsSchema: JsonObject;
}

export type ToWorker =
  | { t: 'load'; file: string }
  | { t: 'run'; type: string; job: JobData }
  | { t: 'abort'; id: string; reason: string }
  | { t: 'grafted'; req: number; ids?: string[]; error?: string };

export type FromWorker =
  | { t: 'loaded'; types: ExportedType[] }
  | { t: 'loadFailed'; message: string }
  | { t: 'log'; id: string; line: string; source: 'job' | 'stdout' | 'stderr' | 'file' }
  | { t: 'graft'; id: string; req: number; parentId: string; jobs: JobSpec[] }
  | { t: 'done'; id: string; outcome: JobOutcome }
  | { t: 'failed'; id: string; error: JobError; stack?: string }
  | { t: 'crash'; message: string };
