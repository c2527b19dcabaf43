/**
 * A counting semaphore: at most `size` holders at once. `acquire` waits
 * for a place; `tryAcquire` answers at once (for work that is refused
 * rather than queued, SPEC §18 `BUSY`). Must never import project code.
 */
export class Semaphore {
  private held = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  /** Places taken now. */
  get inUse(): number {
    return this.held;
  }

  /** Takes a place if one is free; the function answered gives it back (once). */
  tryAcquire(): (() => void) | null {
    if (this.held >= this.size) return null;
    this.held += 1;
    return this.releaser();
  }

  /** Waits for a place, in arrival order; the function answered gives it back (once). */
  async acquire(): Promise<() => void> {
    const release = this.tryAcquire();
    if (release) return release;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.releaser(); // the place was handed over by the releaser: held is unchanged
  }

  /** Runs `fn` holding a place. */
  async with<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.held -= 1;
    };
  }
}
