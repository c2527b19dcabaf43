/**
 * How many replicas a write on a Redis Cluster must reach (SPEC §17): every
 * healthy replica of the master that serves the write's slot. A master that
 * crashes fails over to a replica, and what that replica had not received
 * is gone; confirmed writes are not (confirm-writes.ts sends WAIT after each
 * script, on the same connection). Read from CLUSTER NODES each second.
 */
import type { Cluster } from 'ioredis';

const REFRESH_MS = 1000;

export interface ClusterView {
  /** [first slot, last slot, master id] of every range served. */
  ranges: Array<[number, number, string]>;
  /** Healthy replicas (linked, not failing) per master id. */
  replicas: Map<string, number>;
}

/** Reads CLUSTER NODES: `<id> <addr> <flags> <master|-> <ping> <pong> <epoch> <link> <slot>...`. */
export function parseClusterNodes(text: string): ClusterView {
  const view: ClusterView = { ranges: [], replicas: new Map() };
  for (const line of text.split('\n')) {
    const [id, , flagText, master, , , , link, ...slots] = line.trim().split(' ');
    if (!id || !flagText) continue;
    const flags = flagText.split(',');
    const failing = flags.includes('fail') || flags.includes('fail?');
    if (flags.includes('slave') && master && master !== '-') {
      const healthy = !failing && link === 'connected';
      view.replicas.set(master, (view.replicas.get(master) ?? 0) + (healthy ? 1 : 0));
    }
    if (!flags.includes('master') || failing) continue;
    for (const s of slots) {
      if (s.startsWith('[')) continue; // a slot being migrated or imported
      const [from, to = from] = s.split('-');
      view.ranges.push([Number(from), Number(to), id]);
    }
  }
  return view;
}

export class ClusterReplicaWatch {
  private view: ClusterView = { ranges: [], replicas: new Map() };
  private known = false;
  private readonly timer: NodeJS.Timeout;
  /** Resolves at the first answer, or after one refresh period without one. */
  readonly ready: Promise<void>;

  constructor(private readonly client: Cluster) {
    this.ready = Promise.race([
      this.refresh(),
      new Promise<void>((res) => setTimeout(res, 5 * REFRESH_MS).unref()),
    ]);
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS).unref();
  }

  /** Replicas the master of `slot` has now; null before the first answer (refuse then). */
  needed(slot: number): number | null {
    if (!this.known) return null;
    const range = this.view.ranges.find(([from, to]) => slot >= from && slot <= to);
    return range ? (this.view.replicas.get(range[2]) ?? 0) : 0;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async refresh(): Promise<void> {
    try {
      this.view = parseClusterNodes(String(await this.client.cluster('NODES')));
      this.known = true;
    } catch {
      // kept as it was: the next refresh tries again
    }
  }
}
