/**
 * Collects items and hands them over together, `ms` after the first item
 * of each window. The log code uses it so that a node running thousands of
 * short jobs a second wakes a timer, or the writer thread, once per window
 * instead of once per job: on a small VM each wake-up between threads cost
 * more kernel time than writing the file itself.
 */
export class Window<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly handOver: (items: T[]) => void,
  ) {}

  add(item: T): void {
    this.items.push(item);
    this.timer ??= setTimeout(() => this.flush(), this.ms);
  }

  /** Hands over what is collected now, without waiting for the window to end. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.items;
    this.items = [];
    if (items.length > 0) this.handOver(items);
  }
}

/**
 * Hands items over in batches, each no sooner than `ms` after it was added
 * (and no later than 2 × ms), with one timer for all of them: an item
 * added during one tick is handed over at the end of the next.
 */
export class Delay<T> {
  private current: T[] = [];
  private previous: T[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly handOver: (items: T[]) => void,
  ) {}

  add(item: T): void {
    this.current.push(item);
    this.timer ??= setTimeout(() => this.tick(), this.ms);
  }

  private tick(): void {
    const due = this.previous;
    this.previous = this.current;
    this.current = [];
    this.timer = this.previous.length > 0 ? setTimeout(() => this.tick(), this.ms) : undefined;
    if (due.length > 0) this.handOver(due);
  }
}
