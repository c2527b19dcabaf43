/**
 * How many replicas a write behind Sentinels must reach before it counts
 * (confirm-writes.ts, WAIT): every replica the sentinels hold healthy. Fewer
 * is not safe: while a forced failover promotes one replica, the old master
 * still takes writes that the other replicas acknowledge, and loses them
 * when they turn to the new master. So the count comes from the sentinels,
 * never from the master. While they fail over (their view of the
 * replicas is then in flux) it only grows: every replica they know and do
 * not hold down counts, in sync or not. Otherwise a replica they hold down
 * stops counting once they say so (down-after-milliseconds).
 */
import { Redis } from 'ioredis';
import type { RedisTarget } from './redis-target.js';

type SentinelTarget = Extract<RedisTarget, { kind: 'sentinel' }>;

/** How often the sentinels are asked again. */
const REFRESH_MS = 1000;
/** How long a first write waits for the sentinels' first answer before it is refused. */
const READY_MS = 5000;

/** The replicas of a `SENTINEL REPLICAS` answer that are up and in sync (or, `anyLink`, up). */
export function healthyReplicas(answer: unknown, anyLink = false): number {
  if (!Array.isArray(answer)) return 0;
  return answer.filter((fields: unknown) => {
    if (!Array.isArray(fields)) return false;
    const field = (name: string) => String(fields[fields.indexOf(name) + 1] ?? '');
    const flags = field('flags').split(',');
    return (
      !flags.some((f) => f === 's_down' || f === 'o_down' || f === 'disconnected') &&
      (anyLink || field('master-link-status') === 'ok')
    );
  }).length;
}

export class ReplicaWatch {
  /** null until the sentinels first answer. */
  private count: number | null = null;
  /** `host:port` of the master the sentinels name (a replica they promote, as soon as they do). */
  private masterAddress: string | null = null;
  private next = 0;
  private client: Redis | null = null;
  private readonly timer: NodeJS.Timeout;
  /** Resolves at the first answer, or after one refresh period without one. */
  readonly ready: Promise<void>;

  constructor(private readonly target: SentinelTarget) {
    this.ready = Promise.race([
      this.refresh(),
      new Promise<void>((res) => setTimeout(res, READY_MS).unref()),
    ]);
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS).unref();
  }

  /** The replicas a write must reach now; null until the sentinels have answered (refuse then). */
  get needed(): number | null {
    return this.count;
  }

  /** `host:port` of the master the sentinels named last, or null before they answered. */
  get master(): string | null {
    return this.masterAddress;
  }

  close(): void {
    clearInterval(this.timer);
    this.client?.disconnect();
    this.client = null;
  }

  /** Asks a sentinel; one that fails is dropped for the next of the list. */
  private async refresh(): Promise<void> {
    const { sentinels, name } = this.target;
    for (let tries = 0; tries < sentinels.length; tries++) {
      const s = sentinels[this.next % sentinels.length] as { host: string; port: number };
      this.client ??= new Redis({
        host: s.host,
        port: s.port,
        connectTimeout: 1000,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => null,
        lazyConnect: true,
      }).on('error', () => undefined); // a sentinel that fails is replaced by the next
      try {
        if (this.client.status === 'wait') await this.client.connect();
        const master = (await this.client.call('SENTINEL', 'master', name)) as string[];
        const flags = String(master[master.indexOf('flags') + 1] ?? '');
        const replicas = await this.client.call('SENTINEL', 'replicas', name);
        this.count = flags.includes('failover_in_progress')
          ? Math.max(this.count ?? 0, healthyReplicas(replicas, true))
          : healthyReplicas(replicas);
        const addr = (await this.client.call('SENTINEL', 'get-master-addr-by-name', name)) as
          [string, string] | null;
        this.masterAddress = addr ? `${addr[0]}:${addr[1]}` : null;
        return;
      } catch {
        this.client.disconnect();
        this.client = null;
        this.next += 1;
      }
    }
  }
}
