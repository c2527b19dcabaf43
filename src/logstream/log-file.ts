/**
 * One append-only log file per job, on the node that runs it (SPEC §6):
 * `<dataDir>/logs/<root>/<job>.log`, its path built only from validated
 * ids so it can never leave the data dir. Each line:
 * `<ISO time> <source> <text>`; the source tells stderr apart.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { once } from 'node:events';
import { ValidationError } from '../shared/errors.js';
import { isJobId } from '../shared/ids.js';

export type LogSource = 'agent' | 'job' | 'stdout' | 'stderr';

/** The log path of a job; throws on ids that are not UUIDs (SPEC §10). */
export function logPath(dataDir: string, root: string, id: string): string {
  if (!isJobId(root) || !isJobId(id)) throw new ValidationError('bad job id', 'id');
  const logs = resolve(dataDir, 'logs');
  const path = resolve(logs, root.toLowerCase(), `${id.toLowerCase()}.log`);
  if (!path.startsWith(logs + sep)) throw new ValidationError('bad job id', 'id');
  return path;
}

const madeDirs = new Set<string>();

/** Formats one log line; multi-line text becomes several lines. */
export function formatLines(source: LogSource, text: string, at = new Date()): string {
  const stamp = at.toISOString();
  return text
    .split(/\r?\n/)
    .map((line) => `${stamp} ${source} ${line}\n`)
    .join('');
}

/** An open job log; lines are buffered by the stream and flushed on close(). */
export class JobLog {
  private stream: WriteStream | undefined;

  constructor(readonly path: string) {}

  static open(dataDir: string, root: string, id: string): JobLog {
    return new JobLog(logPath(dataDir, root, id));
  }

  write(source: LogSource, text: string): void {
    if (!this.stream) {
      const dir = join(this.path, '..');
      if (!madeDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        madeDirs.add(dir);
      }
      this.stream = createWriteStream(this.path, { flags: 'a' });
      this.stream.on('error', () => undefined); // a full disk must not crash the agent
    }
    this.stream.write(formatLines(source, text));
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    const s = this.stream;
    if (!s) return;
    this.stream = undefined;
    s.end();
    await once(s, 'close');
  }
}
