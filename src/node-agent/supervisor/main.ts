/**
 * The supervisor of one job's process (SPEC §16; Nomad's executor, one per
 * task). The agent starts it in a session of its own with the job's spec on
 * stdin; from then on it alone owns the job's process group, appends the
 * job's output to its log file and records how it ended (records.ts), so
 * the job outlives an agent that stops to be upgraded, or crashes.
 *
 * It answers to signals only: SIGTERM stops the job (SIGTERM to the group,
 * SIGKILL after the grace period), a second SIGTERM kills it at once. With
 * no live agent named in the data dir for the heartbeat TTL, the node is
 * lost (SPEC §9: its jobs are NODE_LOST) and it stops the job itself, so a
 * node whose agent never returns leaves nothing running.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { AppendLog } from './append-log.js';
import { killGroup } from './process-group.js';
import {
  exitFile,
  processStart,
  startFile,
  writeRecord,
  type ExitRecord,
  type StartRecord,
  type SuperviseSpec,
} from './records.js';

const ORPHAN_CHECK_MS = 1000;

// Installed before anything else: a stop that arrives while the spec is read is kept.
let requestStop: (by: 'agent') => void = () => {
  stopAsked = true;
};
let stopAsked = false;
process.on('SIGTERM', () => requestStop('agent'));
process.on('SIGINT', () => requestStop('agent'));
process.on('SIGHUP', () => undefined); // the agent's terminal going away is not an order

async function readSpec(): Promise<SuperviseSpec> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as SuperviseSpec;
}

/** True while the agent named in the data dir's run file is a live process. */
function agentAlive(agentFile: string): boolean {
  let pid: number;
  try {
    pid = (JSON.parse(readFileSync(agentFile, 'utf8')) as { pid: number }).pid;
  } catch {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function supervise(spec: SuperviseSpec): Promise<ExitRecord> {
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
  writeRecord(startFile(spec.dir), start);
  // An agent that found this directory without a start record removed it: it has given up on the job.
  if (stopAsked || !existsSync(spec.dir))
    return { code: null, signal: null, endedAt: Date.now(), stoppedBy: 'agent' };
  // before the spawn, so that the lines the job writes from its first instant count as new
  const stopFollowing = spec.follow?.length
    ? (await import('../job-types/follow-files.js')).followFiles(spec.follow, (line) =>
        log.write('file', line),
      )
    : () => undefined;
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
  const stop = (by: NonNullable<ExitRecord['stoppedBy']>): void => {
    if (child.pid === undefined) return;
    if (killing) return hurry.abort(); // asked twice: no more grace
    stoppedBy = by;
    killing = killGroup(child.pid, spec.killGraceMs, hurry.signal);
  };
  requestStop = stop;
  let orphanSince: number | undefined;
  const orphanCheck = setInterval(() => {
    if (agentAlive(spec.agentFile)) orphanSince = undefined;
    else if (Date.now() - (orphanSince ??= Date.now()) >= spec.orphanMs) stop('orphaned');
  }, ORPHAN_CHECK_MS);
  const ended = await new Promise<Pick<ExitRecord, 'code' | 'signal' | 'spawnError'>>((resolve) => {
    child.once('spawn', () => {
      writeRecord(startFile(spec.dir), { ...start, pgid: child.pid ?? null });
      if (stopAsked) stop('agent');
    });
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

async function main(): Promise<void> {
  const spec = await readSpec();
  const end = await supervise(spec);
  writeRecord(exitFile(spec.dir), end);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    // stderr is the supervisor.log of the job's directory: the agent quotes it
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(70);
  },
);
