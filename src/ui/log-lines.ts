/**
 * Turns the byte-offset chunks of `log:data` into whole log lines, exactly
 * once: a chunk that repeats bytes already seen (a resubscription after a
 * dropped connection) is trimmed, and a line cut by a chunk waits for the
 * rest. Offsets count UTF-8 bytes, as the server does. Pure; no DOM.
 */
export type LineSource = 'agent' | 'job' | 'stdout' | 'stderr' | 'file';

export interface LogLine {
  time: string;
  source: LineSource | null;
  text: string;
}

const LINE_RE = /^(\S+) (agent|job|stdout|stderr|file) (.*)$/;
const ANSI_RE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const encoder = new TextEncoder();

export function parseLine(raw: string): LogLine {
  const m = LINE_RE.exec(raw);
  if (!m) return { time: '', source: null, text: raw.replace(ANSI_RE, '') };
  return {
    time: m[1] as string,
    source: m[2] as LineSource,
    text: (m[3] as string).replace(ANSI_RE, ''),
  };
}

/** Cuts `text` after its first `bytes` UTF-8 bytes (a chunk boundary is a character boundary). */
function dropBytes(text: string, bytes: number): string {
  let used = 0;
  let i = 0;
  for (const ch of text) {
    if (used >= bytes) break;
    used += encoder.encode(ch).length;
    i += ch.length;
  }
  return text.slice(i);
}

export class LineSplitter {
  /** The byte offset just past the last byte taken. */
  next: number;
  /** The offset of the first byte taken (where an earlier page would end). */
  first: number | null = null;
  private carry = '';

  constructor(start = 0) {
    this.next = start;
  }

  /**
   * Takes a chunk that starts at byte `offset`; returns the lines it
   * completes. Null when the chunk leaves a gap (the caller resubscribes).
   */
  push(offset: number, data: string): string[] | null {
    if (this.first === null) {
      this.first = offset;
      this.next = offset;
    }
    if (offset > this.next) return null;
    const size = encoder.encode(data).length;
    if (offset + size <= this.next) return [];
    const fresh = offset < this.next ? dropBytes(data, this.next - offset) : data;
    this.next = offset + size;
    const parts = (this.carry + fresh).split('\n');
    this.carry = parts.pop() ?? '';
    return parts;
  }

  /** The last line when the log has ended without a newline. */
  flush(): string[] {
    const rest = this.carry;
    this.carry = '';
    return rest === '' ? [] : [rest];
  }
}

/**
 * An earlier page read over HTTP from byte `from`: drops the partial first
 * line unless the page starts the file. Returns the lines and where they start.
 */
export function earlierLines(from: number, text: string): { start: number; lines: string[] } {
  let body = text;
  let start = from;
  if (from > 0) {
    const nl = body.indexOf('\n');
    const cut = nl < 0 ? body.length : nl + 1;
    start += encoder.encode(body.slice(0, cut)).length;
    body = body.slice(cut);
  }
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return { start, lines };
}
