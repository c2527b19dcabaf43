/**
 * Who this agent is: a fresh run id per start, and the rule of SPEC §2 on
 * node names: a second live agent with the same name refuses to start,
 * unless the live one is its own previous run (same data dir, process
 * gone), which it takes over at once.
 */
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Store } from '../store/store.js';

interface RunFile {
  node: string;
  runId: string;
  pid: number;
}

function readRunFile(dataDir: string): RunFile | null {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'agent.json'), 'utf8')) as RunFile;
  } catch {
    return null;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims the node name for a new run; returns its run id. Throws a
 * ConflictError naming the live agent when the name is taken.
 */
export async function claimIdentity(store: Store, node: string, dataDir: string): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const previous = readRunFile(dataDir);
  if (
    previous &&
    previous.pid !== process.pid &&
    isProcessAlive(previous.pid) &&
    previous.node === node
  ) {
    throw new ConflictError(
      `data dir ${dataDir} is in use by a running agent (pid ${previous.pid})`,
      'NODE_TAKEN',
    );
  }
  const owner = await store.nodeOwner(node);
  const ownPrevious = previous !== null && previous.node === node && owner === previous.runId;
  if (owner !== null && !ownPrevious) {
    throw new ConflictError(
      `node name "${node}" is held by another live agent (run ${owner}); choose another --node or stop that agent`,
      'NODE_TAKEN',
    );
  }
  const runId = newId();
  const file = join(dataDir, 'agent.json');
  writeFileSync(`${file}.tmp`, JSON.stringify({ node, runId, pid: process.pid } satisfies RunFile));
  renameSync(`${file}.tmp`, file);
  return runId;
}
