/**
 * The archive of a job's log (SPEC §19): when a job ends, its log goes to
 * Redis with its tree, compressed, so that it can be read when the node
 * that wrote it is gone. A log longer than `logs.archive.maxBytes` keeps
 * its first and last halves (whole lines), with a line between them that
 * says how much was cut.
 *
 * Most logs are a few lines, all of which the agent wrote itself: those
 * are archived from a copy kept while they were written (`LogCopy`), with
 * no read of the file. A log that outgrew the copy, or that a supervisor
 * appended to (SPEC §16), is read back from its file, head and tail only.
 * Archives of the jobs that end in the same moment go to Redis in one
 * call per shard (`LogArchiver`).
 */
import { open } from 'node:fs/promises';
import { gunzip, gzip, gzipSync } from 'node:zlib';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { ArchiveEntry, ArchivePort } from '../store/store.js';

/** What the copy of a log written by the agent holds at most; past it, the file is read. */
const COPY_BYTES = 64 * 1024;
/** Stored as it is below this (not worth a deflate stream). */
const STORE_PLAIN_BYTES = 2048;
/** Compressed on the event loop below this (a few microseconds), on the thread pool above. */
const SYNC_GZIP_BYTES = 64 * 1024;
/** How long a batch of archives the store refused is kept and tried again, at most. */
const RETRIES = 5;
const RETRY_MS = 1000;
/** The archives waiting for Redis at most, in compressed bytes; past it the oldest are dropped. */
const MAX_PENDING_BYTES = 64 << 20;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The line that stands for the cut middle of an archived log. */
export function cutLine(bytes: number, maxBytes: number, at = new Date()): string {
  return `${at.toISOString()} agent --- ${bytes} bytes of this log were cut from its archive (logs.archive.maxBytes is ${maxBytes}) ---\n`;
}

/**
 * The copy of a log the agent writes, kept while it is small (the lines
 * are formatted already, so the copy is the file). Null once it is not
 * the file any more: it outgrew COPY_BYTES, or another writer appends.
 */
export class LogCopy {
  private parts: string[] | null = [];
  private bytes = 0;

  add(text: string): void {
    if (this.parts === null) return;
    this.bytes += text.length; // UTF-16 units: at most the bytes of Latin text, a bound either way
    if (this.bytes > COPY_BYTES) this.parts = null;
    else this.parts.push(text);
  }

  /** The file is written by another hand from now on (a supervisor, SPEC §16). */
  drop(): void {
    this.parts = null;
  }

  /** The whole log, or null when the file must be read. */
  get text(): string | null {
    return this.parts === null ? null : this.parts.join('');
  }
}

/** The first `half` bytes of `buf` up to the last line end in them. */
function headLines(buf: Buffer, half: number): Buffer {
  const head = buf.subarray(0, half);
  const nl = head.lastIndexOf(10);
  return nl < 0 ? head : head.subarray(0, nl + 1);
}

/** The last bytes of a log's tail piece, from its first whole line. */
function tailLines(buf: Buffer): Buffer {
  const nl = buf.indexOf(10);
  return nl < 0 || nl === buf.length - 1 ? buf : buf.subarray(nl + 1);
}

/** The log as archived: whole, or its head and tail with the cut line between. */
export function fitArchive(log: Buffer, maxBytes: number): Buffer {
  if (log.length <= maxBytes) return log;
  const half = Math.floor(maxBytes / 2);
  const head = headLines(log, half);
  const tail = tailLines(log.subarray(log.length - half));
  const cut = log.length - head.length - tail.length;
  return Buffer.concat([head, Buffer.from(cutLine(cut, maxBytes)), tail]);
}

/** Reads a log file for its archive: whole when it fits, else its head and tail only. */
export async function readForArchive(path: string, maxBytes: number): Promise<Buffer | null> {
  let file;
  try {
    file = await open(path, 'r');
  } catch {
    return null; // nothing was written (the job never ran here)
  }
  try {
    const { size } = await file.stat();
    if (size <= maxBytes) {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await file.read(buf, 0, size, 0);
      return buf.subarray(0, bytesRead);
    }
    const half = Math.floor(maxBytes / 2);
    const head = Buffer.alloc(half);
    const tail = Buffer.alloc(half);
    await file.read(head, 0, half, 0);
    await file.read(tail, 0, half, size - half);
    const h = headLines(head, half);
    const t = tailLines(tail);
    return Buffer.concat([h, Buffer.from(cutLine(size - h.length - t.length, maxBytes)), t]);
  } finally {
    await file.close();
  }
}

/**
 * A log as stored: a short one as it is (a line or two compress to little,
 * and a deflate stream's set-up cost the flat benchmark ~60 µs a job, a
 * third of its CPU), a longer one gzip. Both are told apart by gzip's
 * magic bytes: a log line starts with its ISO time, never with 0x1f.
 */
export async function compressLog(log: Buffer): Promise<Buffer> {
  if (log.length < STORE_PLAIN_BYTES && log[0] !== 0x1f) return log;
  // level 1: a log is mostly repeated words; the best level halves the speed for a few % more
  if (log.length < SYNC_GZIP_BYTES) return gzipSync(log, { level: 1 });
  return gzipAsync(log, { level: 1 });
}

const isGzip = (data: Buffer): boolean => data[0] === 0x1f && data[1] === 0x8b;

/**
 * An archive read back from Redis, which may hold anything (SPEC §18): a
 * record that is broken gzip, or that is or would grow past `maxBytes` and
 * the cut line, reads as null, never as a bomb of memory.
 */
export async function expandLog(data: Buffer, maxBytes: number): Promise<Buffer | null> {
  if (!isGzip(data)) return data.length <= maxBytes + 4096 ? data : null;
  try {
    return await gunzipAsync(data, { maxOutputLength: maxBytes + 4096 });
  } catch {
    return null;
  }
}

export interface ArchiverOptions {
  store: Pick<ArchivePort, 'archiveLogs'>;
  node: string;
  maxBytes: number;
  /** Told when archives are given up (Redis refused them too long, or too many waited). */
  onDropped(count: number, reason: string): void;
}

/**
 * Sends the archives of ended jobs to Redis: those of one event-loop turn
 * together; a batch Redis refuses is tried again a few times, and what
 * waits is bounded (an archive is a convenience, never worth the agent).
 */
export class LogArchiver {
  private batch: ArchiveEntry[] = [];
  private scheduled = false;
  private pendingBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  /** Aborted by drain(): no more waits between tries. */
  private readonly stopping = new AbortController();

  constructor(readonly options: ArchiverOptions) {}

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /**
   * Archives a job's log (the text as written, fitted and compressed here):
   * a short one at once, with no promise to wait for (most jobs' logs).
   */
  keep(root: string, job: string, log: Buffer | string): Promise<void> | void {
    if (log.length === 0) return;
    // a short copy goes as the text it is: no Buffer made, ioredis writes the string itself
    if (typeof log === 'string') {
      // at most 3 bytes a UTF-16 unit: short enough in bytes, whatever the text
      const short = log.length * 3 < Math.min(STORE_PLAIN_BYTES, this.options.maxBytes);
      if (short && log.charCodeAt(0) !== 0x1f) return this.queue(root, job, log);
      log = Buffer.from(log);
    }
    const fitted = fitArchive(log, this.options.maxBytes);
    if (fitted.length < STORE_PLAIN_BYTES && fitted[0] !== 0x1f)
      return this.queue(root, job, fitted);
    return compressLog(fitted).then((data) => this.queue(root, job, data));
  }

  private queue(root: string, job: string, data: Buffer | string): void {
    if (this.pendingBytes + data.length > MAX_PENDING_BYTES) {
      this.options.onDropped(1, 'too many archives wait for Redis');
      return;
    }
    this.pendingBytes += data.length;
    this.batch.push({ root, job, node: this.options.node, data });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.send());
    }
  }

  private send(): void {
    this.scheduled = false;
    const entries = this.batch; // each tree's together, by the store (log-archive-store.ts)
    this.batch = [];
    const done = this.store(entries).finally(() => {
      this.inFlight.delete(done);
      for (const e of entries) this.pendingBytes -= e.data.length;
    });
    this.inFlight.add(done);
  }

  private async store(entries: ArchiveEntry[]): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        await this.options.store.archiveLogs(entries);
        return;
      } catch (err) {
        // a stopping agent tries once more at most: it never waits on Redis for its archives
        if (tries >= RETRIES || this.stopping.signal.aborted) {
          this.options.onDropped(entries.length, (err as Error).message);
          return;
        }
        await delay(RETRY_MS, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  /**
   * Resolves once every archive handed over so far was stored or given up:
   * what Redis refuses now is given up, not tried again (the agent stops).
   */
  async drain(): Promise<void> {
    this.stopping.abort();
    if (this.scheduled) this.send();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}

/** A job's archived log, read back: the node that wrote it and the text as archived. */
export interface ArchivedText {
  node: string;
  text: Buffer;
}

/** A job's archived log, or null when none was kept (or it cannot be read, SPEC §18). */
export async function readArchived(
  store: Pick<ArchivePort, 'readArchive'>,
  root: string,
  job: string,
  maxBytes: number,
): Promise<ArchivedText | null> {
  const archived = await store.readArchive(root, job);
  if (!archived) return null;
  const text = await expandLog(archived.data, maxBytes);
  return text ? { node: archived.node, text } : null;
}

/**
 * The range of an archived log a read asks for (SPEC §6, as readLog for a
 * file): from `offset` (negative: the last bytes, from a line start), at
 * most `length` bytes.
 */
export function sliceArchived(
  text: Buffer,
  offset: number,
  length?: number,
): { start: number; size: number; bytes: Buffer } {
  const size = text.length;
  let start = offset >= 0 ? Math.min(offset, size) : Math.max(0, size + offset);
  if (offset < 0 && start > 0) {
    const nl = text.indexOf(10, start - 1);
    start = nl < 0 ? size : nl + 1;
  }
  const end = length === undefined ? size : Math.min(size, start + length);
  return { start, size, bytes: text.subarray(start, Math.max(start, end)) };
}
