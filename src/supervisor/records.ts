/**
 * What a job's supervisor keeps on disk (SPEC §16), in
 * `<dataDir>/supervised/<job>/`: the agent and the supervisor share nothing
 * else, so an agent that starts again finds its live jobs here.
 *
 * - `start.json`, written by the supervisor before it starts the job's
 *   process and again once that process has a pid: who runs what.
 * - `exit.json`, written by the supervisor once the process group is done:
 *   how it ended. Its presence is the end; it is written aside and renamed.
 * - `result.json`: where an executable type may leave its result.
 *
 * The spec the agent hands over (with the job's environment) goes through
 * the supervisor's stdin and never touches the disk.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isJobId } from '../shared/ids.js';
import type { ProcessKind, ProcessSpec } from '../contracts/job-process.js';

/** What the agent sends the supervisor on its stdin: the job's process and what to do with it. */
export interface SuperviseSpec extends ProcessSpec {
  id: string;
  root: string;
  /** The claim's fencing token (the run id of the agent that claimed it). */
  token: string;
  kind: ProcessKind;
  dir: string;
  logPath: string;
  /** The agent's run file (agent.json): while no live agent is named there, the job is orphaned. */
  agentFile: string;
  /** How long the job may run on without an agent (the heartbeat TTL) before it is stopped. */
  orphanMs: number;
  killGraceMs: number;
}

export interface StartRecord {
  id: string;
  root: string;
  token: string;
  kind: ProcessKind;
  logPath: string;
  /** The supervisor's pid and its start time in clock ticks (so a reused pid is not taken for it). */
  pid: number;
  procStart: string | null;
  /** The job's process group; null until the process has started. */
  pgid: number | null;
  startedAt: number;
}

export interface ExitRecord {
  code: number | null;
  signal: string | null;
  endedAt: number;
  /** Why the supervisor stopped the job, when it did. */
  stoppedBy?: 'agent' | 'orphaned';
  /** The process could not be started. */
  spawnError?: string;
  /** Log lines were lost (a full disk): the first error, and how many lines. */
  logError?: string;
  lostLines?: number;
}

export const supervisedRoot = (dataDir: string): string => resolve(dataDir, 'supervised');

/** The directory of one supervised job; its name is a validated job id. */
export function jobDir(dataDir: string, id: string): string {
  if (!isJobId(id)) throw new Error(`bad job id ${id}`);
  return join(supervisedRoot(dataDir), id.toLowerCase());
}

export const startFile = (dir: string): string => join(dir, 'start.json');
export const exitFile = (dir: string): string => join(dir, 'exit.json');
export const resultFile = (dir: string): string => join(dir, 'result.json');

/** Writes aside and renames: a reader sees the old record or the new one, never half of one. */
export function writeRecord(path: string, record: StartRecord | ExitRecord): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(record), { mode: 0o600 }); // a job's spec holds its env
  renameSync(`${path}.tmp`, path);
}

export function readRecord<T extends StartRecord | ExitRecord>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null; // absent (not written yet)
  }
}

/** The job directories present: those of live jobs, and of ended ones not yet reported. */
export function listJobDirs(dataDir: string): string[] {
  const root = supervisedRoot(dataDir);
  try {
    return readdirSync(root)
      .filter((name) => isJobId(name))
      .map((name) => join(root, name));
  } catch {
    return [];
  }
}

export function makeJobDir(dataDir: string, id: string): string {
  const dir = jobDir(dataDir, id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Where the supervisors' stderr goes (a crash, as `[pid N] message`): one file in the data dir. */
export const supervisorLog = (dataDir: string): string => join(dataDir, 'supervisor.log');
