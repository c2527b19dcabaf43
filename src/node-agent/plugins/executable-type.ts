/**
 * An executable job type (SPEC §11): any executable file of a type
 * directory, named after the file without its extension. It gets its
 * params as JSON on stdin, the JOBTREE_* environment and
 * JOBTREE_RESULT_FILE (where it may write its JSON result); its output goes
 * to the log and exit 0 is success. It is a process of its own already, so
 * it needs no worker.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIMITS } from '../../jobtree/limits.js';
import { JobFailure, type JobType } from '../job-types/job-type.js';
import { runProcess } from '../job-types/shell.js';

/** Reads what the executable left in its result file: nothing, or JSON. */
function readResult(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined; // it wrote none
  }
  if (Buffer.byteLength(text) > LIMITS.maxResultBytes)
    throw new JobFailure('RESULT_TOO_LARGE', 'JOBTREE_RESULT_FILE holds more than 1 MiB');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new JobFailure(
      'BAD_RESULT',
      `JOBTREE_RESULT_FILE is not JSON: ${(err as Error).message}`,
    );
  }
}

export function executableType(name: string, file: string, killGraceMs: number): JobType {
  return {
    name,
    paramsSchema: { type: 'object' },
    async run(ctx) {
      const dir = mkdtempSync(join(tmpdir(), 'jobtree-result-'));
      const resultFile = join(dir, 'result.json');
      try {
        await runProcess(
          ctx,
          {
            file,
            args: [],
            env: { JOBTREE_RESULT_FILE: resultFile },
            stdin: JSON.stringify(ctx.params),
          },
          { killGraceMs },
        );
        const result = readResult(resultFile);
        return result === undefined ? { summary: 'exit 0' } : { result, summary: 'exit 0' };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
