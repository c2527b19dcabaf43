/**
 * The check a registration gets before anything is stored (SPEC §11): the
 * source is imported in a throwaway worker process, as a node would load
 * it, and must export the type it is registered as, with a params schema
 * that compiles. Whatever it does at import happens in that process only.
 */
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paramsCheckOf } from '../jobtree/params-check.js';
import { ValidationError } from '../shared/errors.js';
import type { JsonObject } from '../shared/types.js';
import { WorkerProcess } from './worker-process.js';

export async function checkModule(
  source: string,
  name: string,
  options: { maxHeapMb: number; env: Record<string, string> },
): Promise<{ paramsSchema: JsonObject }> {
  const file = join(tmpdir(), `jobtree-check-${randomUUID()}.mjs`);
  const refuse = (why: string): ValidationError =>
    new ValidationError(`body: the module cannot be loaded: ${why}`, 'body', 'BAD_MODULE');
  writeFileSync(file, source, { mode: 0o600 }); // SPEC §18: no source world-readable
  try {
    let types;
    try {
      const started = await WorkerProcess.start(file, { ...options, label: `module ${name}` });
      started.worker.kill();
      types = started.types;
    } catch (err) {
      throw refuse((err as Error).message);
    }
    const exported =
      types.find((t) => t.name === name) ?? (types.length === 1 ? types[0] : undefined);
    if (!exported) {
      const names = types.map((t) => t.name).join(', ');
      throw refuse(`it exports ${names}, not a type named ${name}`);
    }
    try {
      paramsCheckOf(exported.paramsSchema);
    } catch (err) {
      throw refuse(`paramsSchema: ${(err as Error).message}`);
    }
    return { paramsSchema: exported.paramsSchema };
  } finally {
    rmSync(file, { force: true });
  }
}
