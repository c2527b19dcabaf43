/**
 * The reader's side of a merged tail (SPEC §19), the one core the CLI and
 * the UI share: it keeps the offset of the last line it took of each job
 * (on each node), drops a line it has already (a resubscription's repeat),
 * and makes the `from` of a resubscription after a reconnect, so that
 * nothing is lost or shown twice. Pure: no I/O, no DOM.
 */

/** One line of a merged tail, as `logs:data` carries it (logstream/events.ts). */
export interface TailLineView {
  at: string;
  root: string;
  job: string;
  title: string;
  node: string;
  source: string;
  text: string;
  /** The byte offset of the line in its job's log on its node: opens the log there. */
  offset: number;
  /** Read from the job's archive: its node is gone (SPEC §19). */
  archived?: true;
}

export type TailFromView = 'start' | 'now' | { lines: number };

export class TailReader {
  /** `job@node` → the offset of the last line taken. */
  private readonly last = new Map<string, number>();
  /** Jobs in the order first seen: each its own colour. */
  private readonly order = new Map<string, number>();

  /** The lines of a batch not taken before, in the batch's order. */
  take(lines: readonly TailLineView[]): TailLineView[] {
    const fresh: TailLineView[] = [];
    for (const line of lines) {
      const key = `${line.job}@${line.node.toLowerCase()}`;
      const last = this.last.get(key);
      if (last !== undefined && line.offset <= last) continue;
      this.last.set(key, line.offset);
      if (!this.order.has(line.job)) this.order.set(line.job, this.order.size);
      fresh.push(line);
    }
    return fresh;
  }

  /** The job's place among the jobs seen (a colour each). */
  rank(job: string): number {
    return this.order.get(job) ?? 0;
  }

  /**
   * The `from` of a resubscription: after the last line taken of each job,
   * the others as `rest` (the first subscription's `from`) gives them.
   */
  resumeFrom(rest: TailFromView | undefined): {
    offsets: Record<string, number>;
    rest?: TailFromView;
  } {
    const offsets = Object.fromEntries(this.last);
    return rest === undefined ? { offsets } : { offsets, rest };
  }
}
