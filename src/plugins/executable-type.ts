/**
 * An executable job type (SPEC §11): any executable file of a type
 * directory, named after the file without its extension. It gets its
 * params as JSON on stdin, the JOBTREE_* environment and
 * JOBTREE_RESULT_FILE (where it may write its JSON result); its output goes
 * to the log and exit 0 is success. It is a process of its own already, so
 * it needs no worker; it runs under a supervisor as shell jobs do, and
 * outlives an agent restart as they do (SPEC §16).
 */
import type { JobType } from '../node-agent/job-types/job-type.js';

export function executableType(name: string, file: string): JobType {
  return {
    name,
    paramsSchema: { type: 'object' },
    run: (ctx) =>
      ctx.runProcess('executable', { file, args: [], stdin: JSON.stringify(ctx.params) }),
  };
}
