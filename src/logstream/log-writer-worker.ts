/**
 * The job-log writer thread (see log-writer.ts): takes batches of whole
 * logs and writes each with synchronous calls (open, write, close), so the
 * main thread pays one message per batch instead of a thread-pool round
 * trip per file operation. Answers each batch with the ids done, and of
 * those the ids whose file was there before (an earlier try's log).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { LOG_DIR_MODE, LOG_FILE_MODE } from './log-file.js';
import type { WriteBatch, WriteDone } from './log-writer.js';

const madeDirs = new Set<string>();

/** Opens the log to append, creating it; true when it was created (the write is the whole file). */
function openLog(path: string): { fd: number; created: boolean } {
  try {
    return { fd: openSync(path, 'ax', LOG_FILE_MODE), created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { fd: openSync(path, 'a', LOG_FILE_MODE), created: false }; // an earlier try's log
  }
}

function writeWhole(path: string, data: string): boolean {
  const dir = dirname(path);
  if (!madeDirs.has(dir)) {
    mkdirSync(dir, { recursive: true, mode: LOG_DIR_MODE });
    madeDirs.add(dir);
  }
  const { fd, created } = openLog(path);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  return created;
}

parentPort?.on('message', (batch: WriteBatch) => {
  const done: WriteDone = { ids: [], failed: [], appended: [] };
  for (const op of batch) {
    try {
      if (!writeWhole(op.path, op.data)) done.appended.push(op.id);
      done.ids.push(op.id);
    } catch {
      done.failed.push(op.id); // disk full or data dir gone: the job went on, its log is incomplete
    }
  }
  parentPort?.postMessage(done);
});
