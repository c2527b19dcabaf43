/**
 * The supervisor of a job's process (SPEC §16; Nomad's executor). The agent
 * starts it in a session of its own and hands it one job at a time on its
 * stdin (protocol.ts); while it runs a job, it alone owns the job's process
 * group, appends the job's output to its log file and records how it ended
 * (records.ts), so the job outlives an agent that stops to be upgraded, or
 * crashes. The agent keeps it for its next job (a Node process costs some
 * 50 ms of CPU to start, ten times a shell job's own cost), and ends its
 * stdin to let it go: then, or when the agent dies, it finishes the job it
 * has and exits.
 *
 * Without an agent it answers to signals: SIGTERM stops the job (SIGTERM
 * to the group, SIGKILL after the grace period) and quits, a second SIGTERM
 * kills at once. With no live agent named in the data dir for the heartbeat
 * TTL, the node is lost (SPEC §9: its jobs are NODE_LOST) and it stops the
 * job itself, so a node whose agent never returns leaves nothing running.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { followFiles } from './follow-files.js';
import { AppendLog } from './append-log.js';
import { isProcessAlive, killGroup, processStart } from './process-group.js';
import type { FromSupervisor, ToSupervisor } from './protocol.js';
import {
  exitFile,
  startFile,
  writeRecord,
  type ExitRecord,
  type StartRecord,
  type SuperviseSpec,
} from './records.js';

const ORPHAN_CHECK_MS = 1000;

type StopBy = NonNullable<ExitRecord['stoppedBy']>;

/** True while the agent named in the data dir's run file is a live process. */
function agentAlive(agentFile: string): boolean {
  try {
    return isProcessAlive((JSON.parse(readFileSync(agentFile, 'utf8')) as { pid: number }).pid);
  } catch {
    return false; // no run file: no agent
  }
}

/** Runs one job to its end; `onStop` receives the function that stops it. */
async function supervise(
  spec: SuperviseSpec,
  onStop: (stop: (by: StopBy) => void) => void,
): Promise<ExitRecord> {
  const log = new AppendLog(spec.logPath);
  const start: StartRecord = {
    id: spec.id,
    root: spec.root,
    token: spec.token,
    kind: spec.kind,
    logPath: spec.logPath,
    pid: process.pid,
    procStart: processStart(process.pid),
    pgid: null,
    startedAt: Date.now(),
  };
  // Written before the job starts: an agent that finds the directory knows whose it is.
  writeRecord(startFile(spec.dir), start);
  // before the spawn, so that the lines the job writes from its first instant count as new
  const stopFollowing = followFiles(spec.follow ?? [], (line) => log.write('file', line));
  const child = spawn(spec.file, spec.args, {
    cwd: spec.cwd,
    detached: true, // its own process group, so a stop reaches grandchildren too
    stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: spec.env,
  });
  if (spec.stdin !== undefined) {
    child.stdin?.on('error', () => undefined); // a process that never reads its stdin
    child.stdin?.end(spec.stdin);
  }
  createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (l) =>
    log.write('stdout', l),
  );
  createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (l) =>
    log.write('stderr', l),
  );
  let stoppedBy: ExitRecord['stoppedBy'];
  let killing: Promise<void> | undefined;
  const hurry = new AbortController();
  const stop = (by: StopBy): void => {
    if (child.pid === undefined) return;
    if (killing) return hurry.abort(); // asked twice: no more grace
    stoppedBy = by;
    killing = killGroup(child.pid, spec.killGraceMs, hurry.signal);
  };
  onStop(stop);
  let orphanSince: number | undefined;
  const orphanCheck = setInterval(() => {
    if (agentAlive(spec.agentFile)) orphanSince = undefined;
    else if (Date.now() - (orphanSince ??= Date.now()) >= spec.orphanMs) stop('orphaned');
  }, ORPHAN_CHECK_MS);
  const ended = await new Promise<Pick<ExitRecord, 'code' | 'signal' | 'spawnError'>>((resolve) => {
    child.once('spawn', () =>
      writeRecord(startFile(spec.dir), { ...start, pgid: child.pid ?? null }),
    );
    child.once('error', (err) =>
      resolve({
        code: null,
        signal: null,
        spawnError: `cannot start ${spec.file}: ${err.message}`,
      }),
    );
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  await killing;
  clearInterval(orphanCheck);
  stopFollowing();
  log.close();
  return {
    ...ended,
    endedAt: Date.now(),
    ...(stoppedBy ? { stoppedBy } : {}),
    ...(log.error ? { logError: log.error, lostLines: log.lost } : {}),
  };
}

/** The job running now, and how to stop it. */
let current: { id: string; stop: (by: StopBy) => void } | undefined;
/** The agent let go (stdin ended, or it died), or SIGTERM said to quit: exit after the job. */
let leaving = false;

function tell(message: FromSupervisor): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}
process.stdout.on('error', () => undefined); // the agent is gone: a re-attaching one reads the records

async function runJob(spec: SuperviseSpec): Promise<void> {
  const job = { id: spec.id, stop: (_by: StopBy): void => undefined };
  current = job;
  const end = await supervise(spec, (stop) => (job.stop = stop));
  writeRecord(exitFile(spec.dir), end);
  current = undefined;
  tell({ type: 'ended', id: spec.id });
  if (leaving) process.exit(0);
}

function onMessage(line: string): void {
  const message = JSON.parse(line) as ToSupervisor;
  if (message.type === 'stop') {
    if (current?.id === message.id) current.stop('agent'); // a stop for a job that ended is void
  } else if (!current) {
    runJob(message.spec).catch(fail);
  }
}

function leave(): void {
  leaving = true;
  if (!current) process.exit(0);
}

function fail(err: unknown): void {
  // stderr is the data dir's supervisor.log: the agent quotes the line of this pid
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`[pid ${process.pid}] ${text}\n`);
  process.exit(70);
}

process.on('SIGTERM', () => {
  current?.stop('agent');
  leave();
});
process.on('SIGINT', () => undefined); // the agent's terminal: Ctrl-C is the agent's to handle
process.on('SIGHUP', () => undefined);
const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on('line', (line) => {
  try {
    onMessage(line);
  } catch (err) {
    fail(err);
  }
});
input.on('close', leave);
