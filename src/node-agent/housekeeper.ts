/**
 * Cluster housekeeping done by one agent at a time (a lease in Redis, as
 * Sidekiq Enterprise's leader election): the dead-node reaper of SPEC §9.
 * Every agent runs a Housekeeper; only the lease holder acts, and when it
 * dies the lease expires and another takes over.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';

export interface HousekeeperOptions {
  /** The lease holder's identity: node name and run id. */
  holder: string;
  intervalMs: number;
  /** A node is dead once its heartbeat key has expired (it lives this long). */
  ttlMs: number;
}

export class Housekeeper {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: HousekeeperOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const loop = (): void => {
      this.ticking = this.tick().finally(() => {
        if (this.timer) this.timer = setTimeout(loop, this.options.intervalMs);
      });
    };
    this.timer = setTimeout(loop, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** One round; errors are logged, and the next round tries again. */
  async tick(now = Date.now()): Promise<void> {
    try {
      const { holder, ttlMs } = this.options;
      if (!(await this.store.holdLease('housekeeper', holder, ttlMs))) return;
      await this.reapDeadNodes(now);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'housekeeping failed');
    }
  }

  private async reapDeadNodes(now: number): Promise<void> {
    // After Redis comes back every heartbeat key may have expired during the
    // outage: give the nodes one TTL on a live connection to beat again.
    const since = this.store.connectedSince();
    if (since === null || now - since < this.options.ttlMs) return;
    for (const node of await this.store.listNodes(now)) {
      if (node.alive) continue;
      const failed = await this.store.reapNode(node.name, now);
      if (failed)
        this.logger.warn({ node: node.name, failed }, 'node lost: its running jobs failed');
    }
  }
}
