/**
 * Processes and process groups, in one place: whether a process (or some
 * process of a group) still runs, and stopping a whole group (SPEC §4.4:
 * SIGTERM, then SIGKILL after the grace period). Used by the supervisor,
 * by the agent for a supervisor killed by hand, and for the data dir's
 * run file (one agent per data dir).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat after the command's closing paren (state is [0]), or null. */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // gone, or no /proc
  }
}

/** True while `pid` runs (a process of another user's counts). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The start time of a process in clock ticks (field 22 of its stat), or null without /proc. */
export function processStart(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/**
 * True while the process recorded as `pid`, started at `procStart`, runs:
 * a pid reused by another process, or a zombie not yet reaped, has ended.
 */
export function isRecordedAlive(pid: number, procStart: string | null): boolean {
  if (!isProcessAlive(pid)) return false;
  const fields = statFields(pid);
  if (fields === null || procStart === null) return true;
  return fields[19] === procStart && fields[0] !== 'Z';
}

/**
 * True while a process of the group still runs. Its zombies do not count:
 * a grandchild whose shell died is reaped by init, which in a container may
 * take seconds, and an abort waited for that (issue 14: shell jobs were
 * ABORTED 1.1–1.9 s after the request). Without /proc, every member counts.
 */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const [state, , pgrp] = statFields(entry) ?? [];
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

/**
 * SIGTERM to the group, SIGKILL to whatever is left after `graceMs` (or at
 * once when `hurry` fires: an operator's second stop); resolves when all
 * are gone.
 */
export async function killGroup(pgid: number, graceMs: number, hurry?: AbortSignal): Promise<void> {
  const send = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // the group is gone already
    }
  };
  send('SIGTERM');
  const deadline = Date.now() + graceMs;
  // most groups are gone within a few ms of the SIGTERM: look again soon, then every 10 ms
  let wait = 1;
  while (isGroupAlive(pgid) && Date.now() < deadline && !hurry?.aborted) {
    await pause(wait);
    wait = Math.min(wait * 2, 10);
  }
  if (isGroupAlive(pgid)) send('SIGKILL');
  while (isGroupAlive(pgid)) await pause(10);
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
