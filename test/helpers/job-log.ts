/** Reads a job's log file from an in-process agent's data dir. */
import { readFileSync } from 'node:fs';
import { logPath } from '../../src/logstream/log-file.js';
import type { Agent } from '../../src/node-agent/agent.js';

export function readJobLog(agent: Agent, root: string, id: string): string {
  return readFileSync(logPath(agent.config.dataDir, root, id), 'utf8');
}
