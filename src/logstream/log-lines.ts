/**
 * A job's log as lines with their byte offsets (SPEC §19): the merged tail
 * and the search read a log as `<ISO time> <source> <text>` lines, each
 * naming the offset of its first byte in the file (which opens the log
 * there, and from which a subscriber resumes). Built on the one byte core
 * (shared/log-bytes.ts): chunks are taken once, in order, a line cut by a
 * chunk waits for its rest. Pure; no I/O.
 */
import { LineSplitter } from '../shared/log-bytes.js';
import type { TailLine } from './events.js';
import type { LineFilter } from './tail-request.js';

/** A line as the job's log holds it: `at` and `source` as written, '' and `job` for a line of no such form. */
export const LINE_RE = /^(\S+) (agent|job|stdout|stderr|file) (.*)$/s;

export interface ParsedLine {
  at: string;
  source: string;
  text: string;
}

export function parseLine(raw: string): ParsedLine {
  const m = LINE_RE.exec(raw);
  if (!m) return { at: '', source: 'job', text: raw };
  return { at: m[1] as string, source: m[2] as string, text: m[3] as string };
}

export interface OffsetLine {
  offset: number;
  raw: string;
}

const encoder = new TextEncoder();

/** The lines of one job's log from a byte offset, each with its offset. */
export class JobLines {
  private readonly splitter: LineSplitter;
  private lineStart: number | null = null;

  /**
   * `skipLineAt`: the offset of a line the reader has seen already (a
   * resume): that line is not answered again.
   */
  constructor(
    start: number,
    private readonly skipLineAt?: number,
  ) {
    this.splitter = new LineSplitter(start);
  }

  /** The offset just past the bytes taken. */
  get next(): number {
    return this.splitter.next;
  }

  /** The lines a chunk completes; null when it leaves a gap (nothing taken). */
  push(offset: number, data: string): OffsetLine[] | null {
    const lines = this.splitter.push(offset, data);
    if (lines === null) return null;
    this.lineStart ??= this.splitter.first ?? offset;
    return this.place(lines);
  }

  /** The last line of an ended log that has no newline. */
  flush(): OffsetLine[] {
    return this.place(this.splitter.flush());
  }

  private place(lines: string[]): OffsetLine[] {
    const out: OffsetLine[] = [];
    for (const raw of lines) {
      const offset = this.lineStart ?? 0;
      this.lineStart = offset + encoder.encode(raw).length + 1;
      if (offset !== this.skipLineAt) out.push({ offset, raw });
    }
    return out;
  }
}

/** A job's lines as a merged tail sends them: parsed, those that pass the filter, with where they are. */
export function tailLines(
  lines: OffsetLine[],
  where: { root: string; job: string; title: string; node: string; archived?: true },
  filter: LineFilter,
): TailLine[] {
  const out: TailLine[] = [];
  for (const { offset, raw } of lines) {
    const line = parseLine(raw);
    if (filter.sources && !filter.sources.has(line.source)) continue;
    if (filter.text && !filter.text(line.text)) continue;
    out.push({ ...line, ...where, offset });
  }
  return out;
}
