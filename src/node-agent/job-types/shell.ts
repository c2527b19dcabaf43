/**
 * The `shell` job type (SPEC §5): `command` through /bin/sh -c or `argv`
 * without a shell, in its own process group so that an abort reaches every
 * process it started (SIGTERM, then SIGKILL after the grace period, §4.4).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { JobContext, JobType } from './job-type.js';
import { JobFailure } from './job-type.js';
import { followFiles } from './follow-files.js';

export interface ShellParams {
  [key: string]: unknown;
  command?: string;
  argv?: string[];
  cwd?: string;
  env?: Record<string, string>;
  follow?: string[];
}

export interface ShellOptions {
  killGraceMs: number;
}

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  oneOf: [{ required: ['command'] }, { required: ['argv'] }],
  properties: {
    command: { type: 'string', minLength: 1 },
    argv: { type: 'array', minItems: 1, items: { type: 'string' } },
    cwd: { type: 'string', minLength: 1 },
    env: { type: 'object', additionalProperties: { type: 'string' } },
    follow: {
      type: 'array',
      maxItems: 16,
      items: { type: 'string', pattern: '^/', minLength: 2 },
    },
  },
};

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

/** SIGTERM to the group, SIGKILL to whatever is left after `graceMs`; resolves when all are gone. */
export async function killGroup(pgid: number, graceMs: number): Promise<void> {
  const send = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // the group is gone already
    }
  };
  send('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isGroupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  if (isGroupAlive(pgid)) send('SIGKILL');
  while (isGroupAlive(pgid)) await new Promise((r) => setTimeout(r, 10));
}

/** A process a job runs: shell jobs and executable plugin types (SPEC §5, §11). */
export interface ProcessSpec {
  file: string;
  args: string[];
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  /** Written to the process's stdin, which is then closed; no stdin without it. */
  stdin?: string;
  /** Files whose new lines go to the log while it runs. */
  follow?: string[];
}

/**
 * Runs a process in its own group with the JOBTREE_* environment, its
 * stdout and stderr to the job's log; exit 0 is success, and an abort
 * stops the whole group (SIGTERM, then SIGKILL after the grace period).
 */
export async function runProcess(ctx: JobContext, spec: ProcessSpec, options: ShellOptions) {
  const { file, args, cwd, env } = spec;
  // before the spawn: lines the job writes from its first instant are new lines
  const stopFollowing = followFiles(spec.follow ?? [], (line) => ctx.log(line, 'file'));
  const child = spawn(file, args, {
    cwd,
    detached: true, // its own process group, so abort reaches grandchildren too
    stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...env,
      JOBTREE_JOB_ID: ctx.id,
      JOBTREE_ROOT_ID: ctx.root,
      JOBTREE_NODE: ctx.node,
      JOBTREE_SERVER: ctx.serverUrl,
    },
  });
  if (spec.stdin !== undefined) {
    child.stdin?.on('error', () => undefined); // a process that never reads its stdin
    child.stdin?.end(spec.stdin);
  }
  createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (l) =>
    ctx.log(l, 'stdout'),
  );
  createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (l) =>
    ctx.log(l, 'stderr'),
  );
  let killing: Promise<void> | undefined;
  const onAbort = (): void => {
    if (child.pid !== undefined) killing ??= killGroup(child.pid, options.killGraceMs);
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  if (ctx.signal.aborted) onAbort();
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once('error', (err) =>
          reject(new JobFailure('SPAWN', `cannot start ${file}: ${err.message}`)),
        );
        child.once('close', (c, s) => resolve([c, s]));
      },
    );
    await killing;
    if (code === 0) return { result: { exitCode: 0 }, summary: 'exit 0' };
    throw new JobFailure('EXIT', signal ? `killed by ${signal}` : `exit code ${code}`);
  } finally {
    stopFollowing();
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

function runShell(ctx: JobContext<ShellParams>, options: ShellOptions) {
  const { command, argv, cwd, env, follow } = ctx.params;
  const [file, args] =
    command !== undefined ? ['/bin/sh', ['-c', command]] : [argv?.[0] ?? '', argv?.slice(1) ?? []];
  return runProcess(
    ctx as unknown as JobContext,
    { file, args, cwd, env, ...(follow ? { follow } : {}) },
    options,
  );
}

/** Builds the shell job type with the node's kill grace period. */
export function createShell(options: ShellOptions): JobType<ShellParams> {
  return { name: 'shell', paramsSchema, run: (ctx) => runShell(ctx, options) };
}
