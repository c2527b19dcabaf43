/**
 * The order of a merged tail (SPEC §19): lines of different jobs merged by
 * time, each held back at most `holdMs` after it arrived, waiting for any
 * line of another job stamped before it. A line is due `holdMs` after its
 * stamp (so a line that took long to arrive goes at once), and never later
 * than `holdMs` after its arrival (so a node whose clock runs ahead holds
 * nothing back long). Lines of one job keep their order whatever their
 * stamps say: a job's key never goes back. Pure; the caller gives the time.
 */
export interface Stamped {
  job: string;
  at: string;
}

interface Held<L> {
  line: L;
  key: number;
  due: number;
  seq: number;
}

export class HoldBack<L extends Stamped> {
  private held: Array<Held<L>> = [];
  private seq = 0;
  /** Each job's last key: a job's lines never sort before its earlier ones. */
  private readonly lastKey = new Map<string, number>();

  constructor(private readonly holdMs: number) {}

  get size(): number {
    return this.held.length;
  }

  add(line: L, now: number): void {
    const stamp = Date.parse(line.at);
    const last = this.lastKey.get(line.job) ?? -Infinity;
    const key = Math.max(Number.isFinite(stamp) ? stamp : now, last);
    this.lastKey.set(line.job, key);
    const due = Math.min(key, now) + this.holdMs;
    this.held.push({ line, key, due, seq: this.seq++ });
  }

  /** When the next line is due; null when none is held. */
  nextDue(): number | null {
    let next: number | null = null;
    for (const h of this.held) if (next === null || h.due < next) next = h.due;
    return next;
  }

  /** The lines due at `now` (all with `flush`), in time order. */
  take(now: number, flush = false): L[] {
    const due: Array<Held<L>> = [];
    const kept: Array<Held<L>> = [];
    for (const h of this.held) (flush || h.due <= now ? due : kept).push(h);
    this.held = kept;
    due.sort((a, b) => a.key - b.key || a.seq - b.seq);
    return due.map((h) => h.line);
  }

  /** Forgets a job that will say no more (its key is not needed). */
  forget(job: string): void {
    this.lastKey.delete(job);
  }
}
