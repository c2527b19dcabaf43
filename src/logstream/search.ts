/**
 * A search through job logs (SPEC §19): those on this node's disk, or the
 * archives of a node that is gone (a `LogShelf`), of the given trees, a
 * job at a time in id order, read in 1 MiB pieces,
 * each line matched by the caller's test (a substring, or a pattern run in
 * linear time). It stops at `limit` matches or when its time budget is
 * spent, and answers where to go on: a position (tree, job, byte) that a
 * later call takes as its cursor, so nothing is matched twice or missed.
 */
import { open, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isJobId } from '../shared/ids.js';
import { LINE_RE } from './log-lines.js';

/**
 * Where a search goes on: the tree (its index in the roots given), the
 * job (by id: files are read in id order, and one written meanwhile takes
 * its place without moving the others), the byte.
 */
export interface ScanCursor {
  r: number;
  j: string;
  o: number;
}

export interface LocalMatch {
  root: string;
  job: string;
  at: string;
  source: string;
  text: string;
  /** The byte offset of the line in the job's log: opens it there. */
  offset: number;
  /** Where a search resuming just after this match goes on. */
  after: ScanCursor;
}

export interface LocalSearch {
  roots: string[];
  test(text: string): boolean;
  /** Only lines of these sources (all when empty). */
  sources: ReadonlySet<string>;
  limit: number;
  budgetMs: number;
  cursor?: ScanCursor;
}

export interface LocalAnswer {
  matches: LocalMatch[];
  /** Null when every file was read to its end. */
  next: ScanCursor | null;
  scanned: { bytes: number; jobs: number };
}

const PIECE = 1 << 20;

/** An open log: its bytes read from a position. */
export interface OpenLog {
  read(into: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

/** Where the logs searched are: this node's files, or the archives of a node that is gone. */
export interface LogShelf {
  /** The job ids of a tree's logs here, in id order. */
  jobsOf(root: string): Promise<string[]>;
  /** A log, or null when it is gone meanwhile. */
  open(root: string, job: string): Promise<OpenLog | null>;
}

/** The job logs on this node's disk. */
export function diskShelf(dataDir: string): LogShelf {
  const dirOf = (root: string) => resolve(dataDir, 'logs', root.toLowerCase());
  return {
    async jobsOf(root) {
      const names = await readdir(dirOf(root)).catch(() => []);
      return names
        .filter((n) => n.endsWith('.log') && isJobId(n.slice(0, -4)))
        .map((n) => n.slice(0, -4))
        .sort();
    },
    async open(root, job) {
      const file = await open(join(dirOf(root), `${job}.log`), 'r').catch(() => null);
      if (!file) return null;
      return {
        read: async (into, position) => (await file.read(into, 0, into.length, position)).bytesRead,
        close: () => file.close(),
      };
    },
  };
}

/** Logs held in memory (archives read back from Redis), by root and job. */
export function memoryShelf(
  jobsOf: (root: string) => Promise<string[]>,
  textOf: (root: string, job: string) => Promise<Buffer | null>,
): LogShelf {
  return {
    jobsOf: async (root) => (await jobsOf(root)).sort(),
    async open(root, job) {
      const text = await textOf(root, job);
      if (!text) return null;
      return {
        read: async (into, position) => text.copy(into, 0, Math.min(position, text.length)),
        close: async () => undefined,
      };
    },
  };
}

export async function searchLocal(shelf: LogShelf, s: LocalSearch): Promise<LocalAnswer> {
  const deadline = Date.now() + s.budgetMs;
  const matches: LocalMatch[] = [];
  const scanned = { bytes: 0, jobs: 0 };
  const start = s.cursor ?? { r: 0, j: '', o: 0 };
  const buf = Buffer.alloc(PIECE);
  for (let r = start.r; r < s.roots.length; r++) {
    const root = s.roots[r] as string;
    const all = await shelf.jobsOf(root);
    const jobs = r === start.r ? all.filter((id) => id >= start.j) : all;
    for (const job of jobs) {
      let offset = r === start.r && job === start.j ? start.o : 0;
      scanned.jobs += 1;
      const file = await shelf.open(root, job);
      if (!file) continue;
      try {
        for (;;) {
          if (Date.now() > deadline) return { matches, next: { r, j: job, o: offset }, scanned };
          const bytesRead = await file.read(buf, offset);
          if (bytesRead === 0) break;
          // whole lines only: a line cut by the piece's end is read with the next piece
          const end = buf.lastIndexOf(10, bytesRead - 1);
          const used = end >= 0 ? end + 1 : bytesRead;
          scanned.bytes += used;
          let at = 0;
          while (at < used) {
            const nl = buf.indexOf(10, at);
            const stop = nl < 0 || nl >= used ? used : nl;
            const m = LINE_RE.exec(buf.toString('utf8', at, stop));
            const lineOffset = offset + at;
            at = stop + 1;
            if (!m) continue;
            const [, time = '', source = '', text = ''] = m;
            if (s.sources.size > 0 && !s.sources.has(source)) continue;
            if (!s.test(text)) continue;
            const after = { r, j: job, o: offset + at };
            matches.push({ root, job, at: time, source, text, offset: lineOffset, after });
            if (matches.length >= s.limit) return { matches, next: after, scanned };
          }
          offset += used;
          if (bytesRead < PIECE && used === bytesRead) break;
        }
      } finally {
        await file.close();
      }
    }
  }
  return { matches, next: null, scanned };
}
