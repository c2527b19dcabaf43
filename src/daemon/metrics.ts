/**
 * The agent's Prometheus metrics (GET /metrics), in a registry of its own
 * so that several agents in one process never share counters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NodePort, RecordsPort } from '../store/store.js';

/** What the agent counts of itself, read at each scrape. */
export interface LiveCounts {
  running(): number;
  /** Open relay connections to other agents. */
  relays(): number;
  /** socket.io sessions of clients (SPEC §18: bounded per client address). */
  sockets(): number;
  /** Log subscriptions being served from this node's disk (SPEC §18: none left by ended ones). */
  followers(): number;
  /** Merged tails and node feeds alive (SPEC §19: none left by ended ones). */
  tails(): number;
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly finished: Counter<'state' | 'type'>;
  readonly claimLatency: Histogram<'type'>;

  constructor(store: RecordsPort & NodePort, node: string, live: LiveCounts) {
    this.registry.setDefaultLabels({ node });
    collectDefaultMetrics({ register: this.registry, prefix: 'jobtree_' });
    this.finished = new Counter({
      name: 'jobtree_jobs_finished_total',
      help: 'Jobs this agent ran to an end, by final state and type',
      labelNames: ['state', 'type'],
      registers: [this.registry],
    });
    this.claimLatency = new Histogram({
      name: 'jobtree_claim_latency_seconds',
      help: 'Time from a job being queued to this agent starting it',
      labelNames: ['type'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [this.registry],
    });
    for (const [name, help, read] of [
      ['jobtree_jobs_running', 'Jobs running on this agent now', live.running],
      [
        'jobtree_log_relays',
        'Open relay connections to other agents for log subscriptions',
        live.relays,
      ],
      ['jobtree_sockets', 'socket.io sessions of clients on this agent', live.sockets],
      ['jobtree_log_followers', "Log subscriptions served from this node's disk", live.followers],
      ['jobtree_log_tails', 'Merged tails and node feeds alive on this agent', live.tails],
    ] as const) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    }
    // SPEC §12: the cluster's pools (one small read per gauge and scrape)
    for (const [name, help, field] of [
      ['jobtree_pool_slots', 'Slots of a pool, shared by all nodes', 'slots'],
      ['jobtree_pool_used', 'Slots of a pool held by running jobs, across the cluster', 'used'],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['pool'],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const p of await store.pools.list().catch(() => []))
            this.set({ pool: p.name }, p[field]);
        },
      });
    }
    new Gauge({
      name: 'jobtree_queue_depth',
      help: "Entries on this node's queue (may include jobs aborted since)",
      registers: [this.registry],
      async collect() {
        this.set(await store.queueDepth(node).catch(() => NaN));
      },
    });
  }
}
