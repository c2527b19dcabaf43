/**
 * The node registry, held by the home shard's RedisStore: registration,
 * heartbeats (a TTL key plus an info hash, one MULTI as Sidekiq's ❤),
 * ownership of a node name, the listing of SPEC §7 GET /nodes, and
 * forgetting long-dead nodes.
 */
import type { NodeView } from '../shared/types.js';
import { NODE_NAME_PATTERN } from '../shared/ids.js';
import type { CorruptLog } from './corrupt-log.js';
import type { Keys } from './keys.js';
import { isObject, parseJson } from './parse-record.js';
import { guard, SCRIPT_DONE } from './redis-errors.js';
import type { ScriptClient } from './script-client.js';
import type { NodeInfo } from './store.js';
import { execReads, WRONG_TYPE } from './slot-guard.js';

const NODE_NAME_RE = new RegExp(`^${NODE_NAME_PATTERN}$`);

/** A count or a time of a node record: a number, or `fallback` for junk. */
function numberOr<T>(text: string | undefined, fallback: T): number | T {
  const n = Number(text);
  return text !== undefined && text !== '' && Number.isFinite(n) ? n : fallback;
}

/** A node's loaded types, each entry an object whose schema, if any, is an object. */
function typeVersionsOf(loaded: Record<string, unknown>): NodeView['typeVersions'] {
  const out: NodeView['typeVersions'] = {};
  for (const [name, info] of Object.entries(loaded)) {
    if (!isObject(info) || (info.paramsSchema !== undefined && !isObject(info.paramsSchema)))
      continue;
    out[name] = info as unknown as NodeView['typeVersions'][string];
  }
  return out;
}

/**
 * A node's view with its jobs counted: `queued` and `running` (summed over
 * the shards), and what follows from them, its drain state and free slots.
 * The one place that says what "draining" and "free" mean.
 */
export function withLoad(view: NodeView, queued: number, running: number): NodeView {
  const drain = view.state !== 'active';
  const state: NodeView['state'] = !drain ? 'active' : running > 0 ? 'draining' : 'drained';
  const free = view.alive && state === 'active' ? Math.max(0, view.concurrency - running) : 0;
  return { ...view, queued, running, state, free };
}

export class NodeRegistry {
  constructor(
    private readonly client: ScriptClient,
    private readonly keys: Keys,
    private readonly corruptLog: CorruptLog,
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
    return done === SCRIPT_DONE.ok;
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

  /**
   * Every registered node. SPEC §18: a name that is no node name, or a
   * record of the wrong type, is logged and skipped; a field that cannot
   * be read is read as absent; the other nodes are listed as ever (a junk
   * record once made this 500 and stopped the cluster's housekeeping).
   */
  async listNodes(now: number): Promise<NodeView[]> {
    const members = (await guard(this.client.smembers(this.keys.nodes()))).sort();
    const names = members.filter((n) => {
      if (NODE_NAME_RE.test(n)) return true;
      this.skip(this.keys.nodes(), `a member that is no node name: ${n.slice(0, 80)}`);
      return false;
    });
    const rows = await execReads(
      this.client,
      this.keys.nodes(),
      (pipe) => {
        for (const n of names) {
          pipe
            .hgetall(this.keys.node(n))
            .get(this.keys.alive(n))
            .llen(this.keys.queue(n))
            .scard(this.keys.running(n));
        }
      },
      { wrongType: 'mark' },
    );
    return names.flatMap((name, i) => {
      const cells = rows.slice(i * 4, i * 4 + 4).map(([, v]) => v);
      if (cells.includes(WRONG_TYPE)) {
        this.skip(this.keys.node(name), 'a key of the node holds the wrong type of value');
        return [];
      }
      return [this.nodeView(name, cells, now)];
    });
  }

  private skip(key: string, problem: string): void {
    this.corruptLog.report({ what: 'node record', key, problem });
  }

  /** One node as GET /nodes shows it, from its record and its queue's and running set's sizes. */
  private nodeView(name: string, cells: unknown[], now: number): NodeView {
    const h = (cells[0] ?? {}) as Record<string, string>;
    const alive = cells[1] as string | null;
    const queued = Number(cells[2] ?? 0);
    const running = Number(cells[3] ?? 0);
    const concurrency = numberOr(h.concurrency, 0);
    const last = numberOr(h.lastHeartbeat, null);
    const isAlive = alive !== null && alive === h.runId;
    const types = parseJson(h.types);
    const loaded = parseJson(h.loaded);
    if (
      (h.types !== undefined && !Array.isArray(types)) ||
      (h.loaded !== undefined && !isObject(loaded))
    )
      this.skip(this.keys.node(name), 'its types cannot be read: listed without them');
    const base: NodeView = {
      state: h.drain === '1' ? 'draining' : 'active',
      name,
      url: typeof h.url === 'string' ? h.url : '',
      alive: isAlive,
      lastHeartbeat: last,
      heartbeatAgeMs: last === null ? null : Math.max(0, now - last),
      concurrency,
      running: 0,
      queued: 0,
      free: 0,
      version: h.version ?? '',
      types: Array.isArray(types) ? types.filter((t): t is string => typeof t === 'string') : [],
      typeVersions: isObject(loaded) ? typeVersionsOf(loaded) : {},
      startedAt: numberOr(h.startedAt, null),
    };
    return withLoad(base, queued, running);
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
    return forgotten === SCRIPT_DONE.ok;
  }

  /** The url and types of every live node (for relays and type checks). */
  async liveNodes(now: number): Promise<NodeView[]> {
    return (await this.listNodes(now)).filter((n) => n.alive);
  }
}
