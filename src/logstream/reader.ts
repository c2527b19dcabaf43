/**
 * Reads a job log from a byte offset (SPEC §6): a negative offset means
 * "the last |offset| bytes", moved forward to the next line boundary so no
 * partial line is sent. Streams in chunks; never loads a whole file.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';

export interface LogRange {
  /** Byte offset of the first byte the stream yields. */
  start: number;
  /** File size when the range was taken (bytes past it may be appended later). */
  size: number;
  /** The bytes from start to size; null when there are none (or no file yet). */
  stream: ReadStream | null;
}

const BOUNDARY_PROBE = 64 * 1024;

/** The first offset ≥ `from` that starts a line (or `size`). */
async function nextLineStart(path: string, from: number, size: number): Promise<number> {
  if (from === 0) return 0;
  const fh = await open(path, 'r');
  try {
    for (let at = from - 1; at < size; at += BOUNDARY_PROBE) {
      const buf = Buffer.alloc(Math.min(BOUNDARY_PROBE, size - at));
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
      if (nl >= 0) return at + nl + 1;
    }
    return size;
  } finally {
    await fh.close();
  }
}

/**
 * Opens the range of `path` from `offset` (negative: the tail, from a line
 * boundary), at most `length` bytes of it when given.
 */
export async function readLog(path: string, offset: number, length?: number): Promise<LogRange> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return { start: 0, size: 0, stream: null }; // not written yet: the job has not started
  }
  const start =
    offset >= 0
      ? Math.min(offset, size)
      : await nextLineStart(path, Math.max(0, size + offset), size);
  const end = length === undefined ? size : Math.min(size, start + length);
  if (start >= end) return { start, size, stream: null };
  return {
    start,
    size,
    stream: createReadStream(path, { start, end: end - 1, highWaterMark: 64 * 1024 }),
  };
}

/**
 * Up to `max` bytes of `path` from `position`, read with a file opened and
 * closed for the call: a follower waiting on a slow reader holds no file
 * open (SPEC §18: no subscriber can run the agent out of descriptors).
 */
export async function readChunk(path: string, position: number, max: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, position);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The most read back to find a log's last lines. */
const TAIL_READ_MAX = 1 << 20;

/**
 * The last `n` whole lines of `path` (at most 1 MiB of them): where they
 * start, where they end (past the last newline: a line still being
 * written is not among them), and their text. A missing file has none.
 */
export async function lastLines(
  path: string,
  n: number,
): Promise<{ start: number; end: number; text: string }> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return { start: 0, end: 0, text: '' };
  }
  try {
    const { size } = await fh.stat();
    const from = Math.max(0, size - TAIL_READ_MAX);
    const buf = Buffer.alloc(size - from);
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    const bytes = buf.subarray(0, bytesRead);
    const last = bytes.lastIndexOf(10);
    if (last < 0) return { start: from, end: from, text: '' };
    let start = last + 1;
    for (let found = 0; found < n && start > 0; found++) {
      const nl = start >= 2 ? bytes.lastIndexOf(10, start - 2) : -1;
      // the first piece of a long log may start mid-line: never a line of it
      if (nl < 0 && from > 0) break;
      start = nl + 1;
    }
    return {
      start: from + start,
      end: from + last + 1,
      text: bytes.toString('utf8', start, last + 1),
    };
  } finally {
    await fh.close();
  }
}
