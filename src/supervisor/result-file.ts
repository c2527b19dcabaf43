/**
 * The result an executable type leaves in JOBTREE_RESULT_FILE (SPEC §11):
 * nothing, or JSON of at most 1 MiB.
 */
import { readFileSync } from 'node:fs';
import { LIMITS } from '../jobtree/limits.js';
import { JobFailure } from '../contracts/job-process.js';

export function readResult(file: string): unknown {
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
