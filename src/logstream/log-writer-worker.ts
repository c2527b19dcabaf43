/**
 * The job-log writer thread (see log-writer.ts): takes batches of whole
 * logs and writes each with synchronous calls (open, write, close), so the
 * main thread pays one message per batch instead of a thread-pool round
 * trip per file operation. Answers each batch with the ids done.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { LOG_DIR_MODE, LOG_FILE_MODE } from './log-file.js';
import type { WriteBatch, WriteDone } from './log-writer.js';

const madeDirs = new Set<string>();

function writeWhole(path: string, data: string): void {
  const dir = dirname(path);
  if (!madeDirs.has(dir)) {
    mkdirSync(dir, { recursive: true, mode: LOG_DIR_MODE });
    madeDirs.add(dir);
  }
  const fd = openSync(path, 'a', LOG_FILE_MODE);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

parentPort?.on('message', (batch: WriteBatch) => {
  const done: WriteDone = { ids: [], failed: [] };
  for (const op of batch) {
    try {
      writeWhole(op.path, op.data);
      done.ids.push(op.id);
    } catch {
      done.failed.push(op.id); // disk full or data dir gone: the job went on, its log is incomplete
    }
  }
  parentPort?.postMessage(done);
});
