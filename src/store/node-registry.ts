/**
 * The node registry half of RedisStore: registration, heartbeats (a TTL
 * key plus an info hash, one MULTI as Sidekiq's ❤), ownership of a node
 * name, the listing of SPEC §7 GET /nodes, and forgetting long-dead nodes.
 */
import type { NodeView } from '../shared/types.js';
import type { Keys } from './keys.js';
import { guard } from './redis-errors.js';
import type { ScriptClient } from './script-client.js';
import type { NodeInfo } from './store.js';
import { execReads } from './slot-guard.js';

export class NodeRegistry {
  constructor(
    private readonly client: ScriptClient,
    protected readonly keys: Keys,
  ) {}

  /** The first beat of a run; answers whether the node was left asked to drain. */
  async registerNode(info: NodeInfo, ttlMs: number): Promise<{ draining: boolean }> {
    return this.heartbeat(info, { running: 0 }, ttlMs);
  }

  /** One beat; answers whether an operator has asked the node to drain (SPEC §16). */
  async heartbeat(
    info: NodeInfo,
    stats: { running: number },
    ttlMs: number,
  ): Promise<{ draining: boolean }> {
    const now = Date.now();
    const rows = await guard(
      this.client
        .multi()
        .sadd(this.keys.nodes(), info.name)
        .hset(this.keys.node(info.name), {
          name: info.name,
          url: info.url,
          runId: info.runId,
          pid: info.pid,
          host: info.host,
          dataDir: info.dataDir,
          concurrency: info.concurrency,
          version: info.version,
          types: JSON.stringify(info.types),
          loaded: JSON.stringify(info.loaded),
          startedAt: info.startedAt,
          lastHeartbeat: now,
          running: stats.running,
        })
        .set(this.keys.alive(info.name), info.runId, 'PX', ttlMs)
        .hget(this.keys.node(info.name), 'drain')
        .exec(),
    );
    return { draining: rows?.[3]?.[1] === '1' };
  }

  /**
   * Asks a node to drain (stop claiming; its running jobs finish) or to
   * take work again, and tells its agent at once; false for a node never
   * registered. The flag outlives a restart of the agent.
   */
  async setDrain(name: string, drain: boolean): Promise<boolean> {
    const k = this.keys;
    const done = await guard(
      this.client.setDrain(
        k.nodes(),
        k.node(name),
        name,
        drain ? '1' : '0',
        k.controlChannel(name),
      ),
    );
    return done === 1;
  }

  async publishTypes(info: NodeInfo): Promise<void> {
    await guard(
      this.client.hset(this.keys.node(info.name), {
        types: JSON.stringify(info.types),
        loaded: JSON.stringify(info.loaded),
      }),
    );
  }

  /** The run id holding the node name, or null when no live agent does. */
  async nodeOwner(name: string): Promise<string | null> {
    return guard(this.client.get(this.keys.alive(name)));
  }

  /** Releases the name on a clean stop, only if this run still holds it. */
  async unregisterNode(name: string, runId: string): Promise<void> {
    const owner = await this.nodeOwner(name);
    if (owner === runId) await guard(this.client.del(this.keys.alive(name)));
  }

  async listNodes(now: number): Promise<NodeView[]> {
    const names = (await guard(this.client.smembers(this.keys.nodes()))).sort();
    const rows = await execReads(this.client, this.keys.nodes(), (pipe) => {
      for (const n of names) {
        pipe
          .hgetall(this.keys.node(n))
          .get(this.keys.alive(n))
          .llen(this.keys.queue(n))
          .scard(this.keys.running(n));
      }
    });
    return names.map((name, i) => {
      const h = (rows[i * 4]?.[1] ?? {}) as Record<string, string>;
      const alive = rows[i * 4 + 1]?.[1] as string | null;
      const queued = Number(rows[i * 4 + 2]?.[1] ?? 0);
      const running = Number(rows[i * 4 + 3]?.[1] ?? 0);
      const concurrency = Number(h.concurrency ?? 0);
      const last = h.lastHeartbeat ? Number(h.lastHeartbeat) : null;
      const isAlive = alive !== null && alive === h.runId;
      const state: NodeView['state'] =
        h.drain !== '1' ? 'active' : running > 0 ? 'draining' : 'drained';
      return {
        state,
        name,
        url: h.url ?? '',
        alive: isAlive,
        lastHeartbeat: last,
        heartbeatAgeMs: last === null ? null : Math.max(0, now - last),
        concurrency,
        running,
        queued,
        free: isAlive && state === 'active' ? Math.max(0, concurrency - running) : 0,
        version: h.version ?? '',
        types: h.types ? (JSON.parse(h.types) as string[]) : [],
        typeVersions: h.loaded ? (JSON.parse(h.loaded) as NodeView['typeVersions']) : {},
        startedAt: h.startedAt ? Number(h.startedAt) : null,
      };
    });
  }

  /**
   * Removes a node from the registry if it has no live heartbeat key, beat
   * last before `lastBeatBefore`, and has no QUEUED or RUNNING jobs; true
   * when it was removed (forgetNode-6.lua).
   */
  async forgetNode(name: string, lastBeatBefore: number): Promise<boolean> {
    const k = this.keys;
    const forgotten = await guard(
      this.client.forgetNode(
        k.nodes(),
        k.node(name),
        k.alive(name),
        k.queue(name),
        k.running(name),
        k.signals(name),
        name,
        lastBeatBefore,
      ),
    );
    return forgotten === 1;
  }

  /** The url and types of every live node (for relays and type checks). */
  async liveNodes(now: number): Promise<NodeView[]> {
    return (await this.listNodes(now)).filter((n) => n.alive);
  }
}
