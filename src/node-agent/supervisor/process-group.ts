/**
 * A job's process group: is any of it still running, and stopping all of
 * it (SPEC §4.4: SIGTERM, then SIGKILL after the grace period). Used by
 * the supervisor, and by the agent for the group of a supervisor that was
 * killed by hand.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * True while a process of the group still runs. Its zombies do not count:
 * a grandchild whose shell died is reaped by init, which in a container may
 * take seconds, and an abort waited for that (issue 14: shell jobs were
 * ABORTED 1.1–1.9 s after the request). Without /proc, any member counts.
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
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // after the command's closing paren: state ppid pgrp ...
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') return true;
    } catch {
      // gone meanwhile
    }
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
