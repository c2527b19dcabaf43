/**
 * The one byte-offset core of every log reader (SPEC §6): the UI's log
 * panel, `jobtree tail -f` and the CLI's follow of a tree. A log is read
 * as chunks `{offset, data}` (offset: the chunk's first byte, in UTF-8
 * bytes as the server counts them); each byte is taken exactly once: a
 * chunk that repeats bytes already taken (a resubscription after a dropped
 * connection) is trimmed, a chunk that leaves a gap is refused (the caller
 * subscribes again from `next`), and a line cut by a chunk waits for its
 * rest. Pure; no I/O.
 */
const encoder = new TextEncoder();

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
   * Takes a chunk that starts at byte `offset`; answers the part of it not
   * taken before ('' for a repeat), or null when it leaves a gap (the
   * caller subscribes again from `next`).
   */
  take(offset: number, data: string): string | null {
    if (this.first === null) {
      this.first = offset;
      this.next = offset;
    }
    if (offset > this.next) return null;
    const size = encoder.encode(data).length;
    if (offset + size <= this.next) return '';
    const fresh = offset < this.next ? dropBytes(data, this.next - offset) : data;
    this.next = offset + size;
    return fresh;
  }

  /**
   * Takes a chunk as `take` does; answers the lines it completes, or null
   * for a gap.
   */
  push(offset: number, data: string): string[] | null {
    const fresh = this.take(offset, data);
    if (fresh === null) return null;
    if (fresh === '') return [];
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
