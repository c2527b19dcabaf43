/**
 * At most `limits.bigReads` reads of big trees at once per agent (SPEC
 * §18): reading a tree of more than 10,000 jobs walks all of them (the
 * counts of every cut subtree), so a caller who asks for many at once could
 * hold the agent's event loop and Redis. More are refused at once, 503
 * BUSY with Retry-After, rather than queued behind each other.
 */
import { LIMITS } from '../jobtree/limits.js';
import { UnavailableError } from '../shared/errors.js';
import { Semaphore } from '../shared/semaphore.js';

export class BigReads {
  private readonly places: Semaphore;

  /** `sizeOf`: the number of jobs of a tree (0 for none). */
  constructor(
    max: number,
    private readonly sizeOf: (root: string) => Promise<number>,
  ) {
    this.places = new Semaphore(max);
  }

  /** Big reads under way now. */
  get inUse(): number {
    return this.places.inUse;
  }

  /** Runs `read` of tree `root`, holding a place if the tree is big; 503 BUSY when none is free. */
  async run<T>(root: string, read: () => Promise<T>): Promise<T> {
    if ((await this.sizeOf(root)) <= LIMITS.fullTreeJobs) return read();
    const release = this.places.tryAcquire();
    if (!release)
      throw new UnavailableError(
        `this agent reads as many big trees as it may at once (limits.bigReads); try again`,
        'BUSY',
        1,
      );
    try {
      return await read();
    } finally {
      release();
    }
  }
}
