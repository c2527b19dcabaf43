/**
 * The agent's calls to Redis that may claim a job, in one place. Two kinds
 * of call claim: a fill (claimJobs, for free slots) and a job's end
 * (finishJobs with claimFor, which may hand back the freed parent or the
 * next queued job). A claim is *handed over* once the claimer runs it.
 *
 * An adoption (claims Redis holds under this run's token that the claimer
 * does not know: a reply lost with the connection) is only right when no
 * claim is between Redis and the claimer: otherwise the job it finds would
 * run twice. So the ledger runs an adoption alone: it starts only when no
 * call is in flight and no end is waiting to be handed over, and while it
 * runs no call that may claim goes out (fills wait for its end, ends are
 * sent after it).
 */
export class ClaimLedger {
  private fills = 0;
  /** Ends reported (sent, or about to be) whose answer the claimer has not handed over. */
  private readonly ends = new Set<string>();
  private adoption: Promise<void> | undefined;

  /** True when an adoption may run now. */
  get quiet(): boolean {
    return this.fills === 0 && this.ends.size === 0 && this.adoption === undefined;
  }

  /** True while an adoption runs: a fill must wait for it (see `afterAdoption`). */
  get adopting(): boolean {
    return this.adoption !== undefined;
  }

  /** A fill starts (only when not adopting); `fillDone` when its jobs are running. */
  fillStarts(): void {
    if (this.adoption) throw new Error('a fill may not start during an adoption');
    this.fills++;
  }

  fillDone(): void {
    this.fills--;
  }

  /** A job's end is reported: held until the claimer has run whatever its answer claimed. */
  endReported(id: string): void {
    this.ends.add(id);
  }

  /** The claimer handed over a job's end (ran the job it claimed, or had none). */
  endHandedOver(id: string): void {
    this.ends.delete(id);
  }

  /** Resolves when no adoption runs (at once, mostly): ends are sent after it. */
  async afterAdoption(): Promise<void> {
    while (this.adoption) await this.adoption;
  }

  /** Runs `adopt` alone, or not at all (returns false) when a claim is in flight. */
  async alone(adopt: () => Promise<void>): Promise<boolean> {
    if (!this.quiet) return false;
    let ended: () => void = () => undefined;
    this.adoption = new Promise<void>((resolve) => (ended = resolve));
    try {
      await adopt();
      return true;
    } finally {
      this.adoption = undefined;
      ended();
    }
  }
}
