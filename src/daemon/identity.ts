/**
 * Who this agent is: a fresh run id per start, and the rule of SPEC §2 on
 * node names: a second live agent with the same name refuses to start,
 * unless the live one is its own previous run (same data dir, process
 * gone), which it takes over at once.
 */
import { accessSync, constants, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ConflictError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { NodePort } from '../store/store.js';
import { isProcessAlive } from '../supervisor/process-group.js';

interface RunFile {
  node: string;
  runId: string;
  pid: number;
}

function readRunFile(dataDir: string): RunFile | null {
  try {
    return JSON.parse(readFileSync(runFile(dataDir), 'utf8')) as RunFile;
  } catch {
    return null;
  }
}

/** The data dir, made if missing; a clear error when this user cannot write it. */
function ensureWritable(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o750 }); // SPEC §18: nothing in it for others
    accessSync(dataDir, constants.W_OK | constants.X_OK);
  } catch (err) {
    const uid = process.getuid?.() ?? '?';
    throw new ConfigError(
      'dataDir',
      `${dataDir} is not writable by this user (uid ${uid}): ${(err as Error).message}; give it to the agent's user (chown) or choose another dataDir`,
    );
  }
}

export interface Identity {
  runId: string;
  /**
   * The run this one takes over while its heartbeat still lives (a restart
   * within the TTL): its supervised jobs are re-attached (SPEC §16). Null
   * on a first start, and when the previous run's heartbeat expired.
   */
  takesOver: string | null;
}

/** The data dir's run file, which the job supervisors read to know the agent is alive. */
export const runFile = (dataDir: string): string => join(dataDir, 'agent.json');

/**
 * Claims the node name for a new run. Throws a ConflictError naming the
 * live agent when the name is taken.
 */
export async function claimIdentity(
  store: NodePort,
  node: string,
  dataDir: string,
): Promise<Identity> {
  ensureWritable(dataDir);
  const previous = readRunFile(dataDir);
  // one agent per data dir, whatever its name: the logs, journal and supervised jobs are its own
  if (previous && previous.pid !== process.pid && isProcessAlive(previous.pid)) {
    throw new ConflictError(
      `data dir ${dataDir} is in use by a running agent (pid ${previous.pid}, node "${previous.node}")`,
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
  const file = runFile(dataDir);
  writeFileSync(
    `${file}.tmp`,
    JSON.stringify({ node, runId, pid: process.pid } satisfies RunFile),
    {
      mode: 0o600,
    },
  );
  renameSync(`${file}.tmp`, file);
  return { runId, takesOver: ownPrevious ? previous.runId : null };
}
