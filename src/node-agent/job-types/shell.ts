/**
 * The `shell` job type (SPEC §5): `command` through /bin/sh -c or `argv`
 * without a shell. It runs under a supervisor of its own (SPEC §16,
 * ../supervisor), in its own process group so that an abort reaches every
 * process it started (SIGTERM, then SIGKILL after the grace period, §4.4),
 * and it outlives an agent that restarts.
 */
import type { JobContext, JobType } from './job-type.js';

export interface ShellParams {
  [key: string]: unknown;
  command?: string;
  argv?: string[];
  cwd?: string;
  env?: Record<string, string>;
  follow?: string[];
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

function runShell(ctx: JobContext<ShellParams>) {
  const { command, argv, cwd, env, follow } = ctx.params;
  const [file, args] =
    command !== undefined ? ['/bin/sh', ['-c', command]] : [argv?.[0] ?? '', argv?.slice(1) ?? []];
  return ctx.runProcess('shell', { file, args, cwd, env, ...(follow ? { follow } : {}) });
}

export const shell: JobType<ShellParams> = { name: 'shell', paramsSchema, run: runShell };
