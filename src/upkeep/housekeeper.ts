/**
 * Housekeeping (SPEC §9). Cluster work is done by one agent at a time (a
 * lease in Redis, as Sidekiq Enterprise's leader election): the dead-node
 * reaper and the deletion of expired trees. Every agent runs a Housekeeper;
 * only the lease holder does that work, and when it dies the lease expires
 * and another takes over. Each agent also deletes its own expired logs.
 * Retention also forgets nodes that have been dead longer than its age, so
 * the registry does not keep every node name ever used.
 */
import type { Logger } from 'pino';
import { isRedisUnavailable } from '../shared/errors.js';
import type { HealthPort, NodePort, ReadPort, UpkeepPort } from '../store/store.js';
import { MAX_RECONNECT_DELAY_MS } from '../store/redis-client.js';
import { every, type Repeater } from '../shared/every.js';
import { sweepLogs } from './log-retention.js';

/** A big tree being stored with no step for this long lost its submitter (SPEC §17). */
const STORING_IDLE_MS = 10_000;

/** Trees deleted per Redis call, and at most per sweep (the rest wait for the next). */
const DELETE_BATCH = 100;
const MAX_PER_SWEEP = 2000;

export interface HousekeeperOptions {
  /** The lease holder's identity: node name and run id. */
  holder: string;
  intervalMs: number;
  /** A node is dead once its heartbeat key has expired (it lives this long). */
  ttlMs: number;
  /**
   * Finished trees and logs older than this are deleted, and nodes silent
   * for longer forgotten, every sweepIntervalMs.
   */
  retention: { maxAgeMs: number; sweepIntervalMs: number };
  /** This node's data dir, whose logs/ it sweeps. */
  dataDir: string;
  /** More work for the lease holder on every round (starting waiting definition runs). */
  whileHolding?: () => Promise<void>;
}

export class Housekeeper {
  private repeater: Repeater | undefined;
  private lastSweep = 0;
  private holding = false;

  constructor(
    private readonly store: UpkeepPort & NodePort & ReadPort & HealthPort,
    private readonly options: HousekeeperOptions,
    private readonly logger: Logger,
  ) {}

  /** True while this agent holds the housekeeping lease (as of its last round). */
  get holdsLease(): boolean {
    return this.holding;
  }

  start(): void {
    this.repeater = every(this.options.intervalMs, () => this.tick());
  }

  async stop(): Promise<void> {
    await this.repeater?.stop();
  }

  /**
   * One round; errors are logged, and the next round tries again. Each
   * step runs whatever became of the others (SPEC §18: one bad record
   * once stopped reaping, retention and inbox dispatch cluster-wide).
   */
  async tick(now = Date.now()): Promise<void> {
    const { holder, ttlMs, retention } = this.options;
    const sweep = now - this.lastSweep >= retention.sweepIntervalMs;
    const held = await this.step('lease', () => this.store.holdLease('housekeeper', holder, ttlMs));
    this.holding = held === true;
    if (this.holding) {
      await this.step('reaping', () => this.reapDeadNodes(now));
      // retries due while every node is too busy to claim
      await this.step('retries', () => this.store.promoteDue(now));
      await this.step('aborts', () => this.store.continueAborts(now)); // big aborts whose caller died
      // big trees whose submitter died half-way
      await this.step('storing', () => this.store.continueStoring(now, STORING_IDLE_MS));
      await this.step('dispatch', async () => this.options.whileHolding?.());
      if (sweep) {
        await this.step('retention', () => this.deleteExpiredTrees(now - retention.maxAgeMs));
        await this.step('forgetting', () => this.forgetDeadNodes(now, now - retention.maxAgeMs));
      }
    }
    if (sweep) {
      this.lastSweep = now;
      await this.step('logs', async () => {
        const logs = await sweepLogs(this.store, this.options.dataDir, now - retention.maxAgeMs);
        if (logs.length > 0) this.logger.info({ trees: logs.length }, 'expired logs deleted');
      });
    }
  }

  /** Runs one step of a round; its failure is logged, and the round goes on. */
  private async step<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (err) {
      this.logger.warn({ step: name, err: (err as Error).message }, 'housekeeping failed');
      return undefined;
    }
  }

  /**
   * Deletes what retention let expire. A tree that cannot be deleted is
   * logged and passed over (the next sweep tries it again), so it cannot
   * keep the others from going.
   */
  private async deleteExpiredTrees(cutoff: number): Promise<void> {
    let deleted = 0;
    const refused = new Set<string>();
    while (deleted + refused.size < MAX_PER_SWEEP) {
      const roots = await this.store.expiredTrees(cutoff, DELETE_BATCH + refused.size);
      const fresh = roots.filter((r) => !refused.has(r));
      for (const root of fresh) {
        try {
          await this.store.deleteTree(root);
          deleted += 1;
        } catch (err) {
          if (isRedisUnavailable(err)) throw err;
          refused.add(root);
          this.logger.warn(
            { root, err: (err as Error).message },
            'an expired tree cannot be deleted',
          );
        }
      }
      if (fresh.length === 0 || roots.length < DELETE_BATCH + refused.size) break;
    }
    if (deleted > 0) this.logger.info({ trees: deleted }, 'expired trees deleted');
  }

  /** Nodes with no heartbeat since `cutoff` and no jobs left leave the registry. */
  private async forgetDeadNodes(now: number, cutoff: number): Promise<void> {
    const forgotten: string[] = [];
    for (const node of await this.store.listNodes(now)) {
      if (node.alive || (node.lastHeartbeat ?? 0) >= cutoff) continue;
      if (await this.store.forgetNode(node.name, cutoff)) forgotten.push(node.name);
    }
    if (forgotten.length > 0) this.logger.info({ nodes: forgotten }, 'long-dead nodes forgotten');
  }

  /**
   * After Redis comes back every heartbeat key may have expired during the
   * outage: nodes get time to beat again on a live connection. A node may
   * reach Redis again up to one back-off after this one did (a network, or
   * a failover, coming back to the nodes unevenly) and then wait out its
   * own reconnect back-off: two back-offs and a TTL (a TTL alone is less
   * than one back-off at short TTLs). The connection must have stayed up
   * since `since` too: a call sent before an outage waits it out in the
   * client's queue and answers after it, when every key looks expired.
   */
  private connectionSteady(since: number | null): since is number {
    return (
      since !== null &&
      this.store.connectedSince() === since &&
      Date.now() - since >= this.options.ttlMs + 2 * MAX_RECONNECT_DELAY_MS
    );
  }

  private async reapDeadNodes(now: number): Promise<void> {
    const since = this.store.connectedSince();
    if (!this.connectionSteady(since)) return;
    const nodes = await this.store.listNodes(now);
    for (const node of nodes) {
      if (node.alive || !this.connectionSteady(since)) continue;
      try {
        const failed = await this.store.reapNode(node.name, now);
        if (failed)
          this.logger.warn({ node: node.name, failed }, 'node lost: its running jobs failed');
      } catch (err) {
        if (isRedisUnavailable(err)) throw err;
        this.logger.warn(
          { node: node.name, err: (err as Error).message },
          'a lost node cannot be reaped',
        );
      }
    }
  }
}
