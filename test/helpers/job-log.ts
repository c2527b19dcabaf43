/**
 * Reads a job's log file from an in-process agent's data dir. The agent
 * reports a job's end before its log reaches the disk (the file is closed
 * in the background), so this waits for the agent's closing line.
 */
import { readFileSync } from 'node:fs';
import { logPath } from '../../src/logstream/log-file.js';
import type { Agent } from '../../src/daemon/agent.js';
import { waitFor } from './wait.js';

export async function readJobLog(agent: Agent, root: string, id: string): Promise<string> {
  const path = logPath(agent.config.dataDir, root, id);
  return waitFor(
    () => {
      const text = readFileSync(path, 'utf8');
      return / agent finished /.test(text) ? text : null;
    },
    { what: `the log of ${id} to be complete` },
  );
}
