/**
 * A merged tail's reader for tests (SPEC §19): subscribes with
 * `logs:subscribe`, collects the lines, the end and the errors, and checks
 * as it goes that each job's lines follow each other with no gap and no
 * repeat (each starts where the last of its job ended).
 */
import type { TailLine } from '../../src/logstream/events.js';
import type { TestSocket } from './log-client.js';

export interface Tail {
  lines: TailLine[];
  ended: boolean;
  errors: Array<{ code: string; message: string; node?: string }>;
  /** Lines that did not start where their job's last one ended. */
  gaps: string[];
  /** `job@node` → the offset of the last line received (a resume's `from.offsets`). */
  last: Record<string, number>;
  batches: number;
}

export function tail(socket: TestSocket, request: Record<string, unknown>, into?: Tail): Tail {
  const t: Tail = into ?? { lines: [], ended: false, errors: [], gaps: [], last: {}, batches: 0 };
  const sub = request.sub as string;
  const next = new Map<string, number>();
  for (const l of t.lines)
    next.set(`${l.job}@${l.node}`, l.offset + Buffer.byteLength(lineOf(l)) + 1);
  socket.on('logs:data', (m) => {
    if (m.sub !== sub) return;
    t.batches += 1;
    for (const l of m.lines) {
      const key = `${l.job}@${l.node}`;
      const expected = next.get(key);
      if (expected !== undefined && l.offset !== expected)
        t.gaps.push(`${l.title}@${l.node}: line at ${l.offset}, expected ${expected}`);
      next.set(key, l.offset + Buffer.byteLength(lineOf(l)) + 1);
      t.last[key] = l.offset;
      t.lines.push(l);
    }
  });
  socket.on('logs:end', (m) => {
    if (m.sub === sub) t.ended = true;
  });
  socket.on('logs:error', (m) => {
    if (m.sub === sub) t.errors.push(m);
  });
  socket.emit('logs:subscribe', request);
  return t;
}

/** The line as its log file holds it. */
export function lineOf(l: TailLine): string {
  return l.at === '' ? l.text : `${l.at} ${l.source} ${l.text}`;
}
