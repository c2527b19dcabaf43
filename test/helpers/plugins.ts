/**
 * Plugin job types for tests: a directory an agent watches, module files
 * written into it, submissions through an agent's API (so admission checks
 * them), and waiting for a type to be loaded.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Agent } from '../../src/daemon/agent.js';
import { tempDir } from './agents.js';
import { http, type HttpAnswer } from './http.js';
import { waitFor } from './wait.js';

export const TYPES_FIXTURES = fileURLToPath(new URL('../fixtures/types/', import.meta.url));

/** A fresh directory of job types, with the named fixtures copied in. */
export function typesDir(...fixtures: string[]): string {
  const dir = tempDir('jobtree-types-');
  for (const f of fixtures) copyFileSync(join(TYPES_FIXTURES, f), join(dir, f));
  return dir;
}

export function writeType(dir: string, file: string, source: string, mode = 0o644): string {
  const path = join(dir, file);
  writeFileSync(path, source, { mode });
  return path;
}

/** Submits through the agent's API and waits for the tree's end (200), or answers the refusal. */
export async function runTree(url: string, body: unknown, timeoutS = 30): Promise<HttpAnswer> {
  return http(url, 'POST', `/api/v1/trees?wait=true&timeout=${timeoutS}`, body);
}

/** Waits until the agent runs `name` (at a version other than `notVersion`); resolves with it. */
export async function loaded(agent: Agent, name: string, notVersion?: string): Promise<string> {
  return waitFor(
    () => {
      const v = agent.types.get(name)?.version;
      return v !== undefined && v !== notVersion ? v : undefined;
    },
    { timeoutMs: 10000, what: `${name} to be loaded` },
  );
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
