/**
 * The store: the one implementation of the Store's ports, a router over
 * shards (RedisStores on one script client). On plain Redis and behind
 * Sentinels it has one shard, under the prefix itself; on a Redis Cluster
 * (SPEC §17) CLUSTER_SHARDS, each under a prefix with its own hash tag
 * (shards.ts), so that every script runs inside one slot and the trees
 * spread over the masters. So every Redis takes this one path, and every
 * test walks the cluster's code. A router of one shard decides nothing
 * per call: the hot calls go straight to it.
 *
 * A tree lives in the shard its ids name; the cluster-wide records (nodes,
 * job types, pools, definitions, leases) live in shard 0, the home shard,
 * with the trees that touch pools or are runs of definitions. What spans
 * shards is done here, shard by shard: a claim tries the shards a wake
 * named first and then the others, a node's load and a tree listing are
 * merged, a node is reaped in each shard once its heartbeat key (home) is
 * gone. docs/design.md "Redis Cluster".
 */
import { isRedisUnavailable, type JobtreeError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { NodeView } from '../shared/types.js';
import { Keys } from './keys.js';
import { withLoad } from './node-registry.js';
import { createScriptClient } from './redis-client.js';
import { RedisStore } from './redis-store.js';
import { toTarget, type RedisPlace } from './redis-target.js';
import type { ScriptClient } from './script-client.js';
import { mergeTreePages } from './shard-merge.js';
import { CorruptLog, type CorruptRecord } from './corrupt-log.js';
import { statusHandler, wakeDefinition } from './pubsub.js';
import { CLUSTER_SHARDS, idInShard, shardOf, shardTags } from './shards.js';
import type {
  AgentListener,
  ArchiveEntry,
  ClaimedJob,
  FinishAnswer,
  FinishReport,
  NewTree,
  Store,
  Subscription,
  TreeQuery,
} from './store.js';

const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);

export class ShardedStore implements Store {
  readonly prefix: string;
  private readonly redis: ScriptClient;
  /** One log of skipped records for every shard (SPEC §18). */
  private readonly corrupt = new CorruptLog();
  private readonly shards: RedisStore[];
  private readonly keys: Keys[];
  private readonly home: RedisStore;
  /** How many shards: 1, or CLUSTER_SHARDS on a Redis Cluster. */
  private readonly count: number;
  /** Shards a wake came from since the last claim: tried first. */
  private readonly woken = new Set<number>();
  private start = 0;
  private nextShard = Math.floor(Math.random() * CLUSTER_SHARDS);

  constructor(place: RedisPlace, prefix = 'jobtree') {
    this.prefix = prefix;
    this.redis = createScriptClient(place);
    this.count = toTarget(place).kind === 'cluster' ? CLUSTER_SHARDS : 1;
    // each shard's store listens for the shared client's ready and close
    this.redis.setMaxListeners(this.count * 4 + 10);
    const prefixes = this.count === 1 ? [prefix] : shardTags().map((tag) => `${prefix}:{${tag}}`);
    this.shards = prefixes.map((p) => new RedisStore(place, p, this.redis, this.corrupt));
    this.keys = prefixes.map((p) => new Keys(p));
    this.home = this.shards[0] as RedisStore;
  }

  onCorrupt(listener: (record: CorruptRecord) => void): void {
    this.corrupt.listen(listener);
  }

  get jobTypes() {
    return this.home.jobTypes;
  }
  get pools() {
    return this.home.pools;
  }
  get definitions() {
    return this.home.definitions;
  }

  /** The shard of a tree (or job) id. */
  private shardIndex(id: string): number {
    return this.count === 1 ? 0 : shardOf(id);
  }

  private of(id: string): RedisStore {
    return this.shards[this.shardIndex(id)] as RedisStore;
  }

  /** Runs `call` on every shard at once. */
  private each<T>(call: (s: RedisStore, k: number) => Promise<T>): Promise<T[]> {
    return Promise.all(this.shards.map(call));
  }

  /** Runs `call` per shard on the items that belong to it; answers in the items' order. */
  private async grouped<I, O>(
    items: I[],
    idOf: (item: I) => string,
    call: (s: RedisStore, items: I[]) => Promise<O[]>,
  ): Promise<O[]> {
    if (this.count === 1) return items.length > 0 ? call(this.home, items) : [];
    const groups = new Map<number, number[]>();
    items.forEach((item, i) => {
      const k = shardOf(idOf(item));
      groups.set(k, [...(groups.get(k) ?? []), i]);
    });
    const out = new Array<O>(items.length);
    await Promise.all(
      [...groups].map(async ([k, at]) => {
        const answers = await call(
          this.shards[k] as RedisStore,
          at.map((i) => items[i] as I),
        );
        at.forEach((i, j) => (out[i] = answers[j] as O));
      }),
    );
    return out;
  }

  /** A new tree goes to the next shard in turn (from a random start): trees spread evenly. */
  idSource(placement: { near?: string; shared?: boolean }): () => string {
    if (this.count === 1) return newId;
    let k = 0;
    if (placement.near !== undefined) k = shardOf(placement.near);
    else if (!placement.shared) k = this.nextShard++ % CLUSTER_SHARDS;
    return () => idInShard(k);
  }

  ping() {
    return this.home.ping();
  }
  submitTree(tree: NewTree) {
    return this.of(tree.root).submitTree(tree);
  }

  partitionOf(root: string): number {
    return this.shardIndex(root);
  }

  /** Fills up to `max` from the shards a wake named, then from the others in turn. */
  async claimJobs(
    node: string,
    max: number,
    token: string,
    at: number,
    skip?: ReadonlySet<number>,
  ): Promise<ClaimedJob[]> {
    if (this.count === 1) {
      return skip?.has(0) ? [] : this.home.claimJobs(node, max, token, at);
    }
    const order = [...this.woken];
    this.woken.clear();
    this.start = (this.start + 1) % this.count;
    for (let i = 0; i < this.count; i++) {
      const k = (this.start + i) % this.count;
      if (!order.includes(k)) order.push(k);
    }
    const out: ClaimedJob[] = [];
    let failed: unknown;
    for (const k of order) {
      if (out.length >= max) break;
      if (skip?.has(k)) continue;
      // a shard whose master is down must not cost the jobs others handed out already
      try {
        const shard = this.shards[k] as RedisStore;
        out.push(...(await shard.claimJobs(node, max - out.length, token, at)));
      } catch (err) {
        failed ??= err;
      }
    }
    if (out.length === 0 && failed !== undefined) throw failed;
    return out;
  }

  /** What the shards that answered hand back; the others are asked again next time. */
  async adoptClaims(node: string, token: string, running: string[]) {
    const answers = await Promise.allSettled(
      this.shards.map((s) => s.adoptClaims(node, token, running)),
    );
    const got = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    const refused = answers.find((a) => a.status === 'rejected');
    if (got.length === 0 && refused) throw refused.reason;
    return got.flat();
  }
  reattachJobs(
    node: string,
    token: string,
    jobs: Array<{ root: string; id: string; token: string }>,
  ) {
    return this.grouped(
      jobs,
      (j) => j.root,
      (s, part) => s.reattachJobs(node, token, part),
    );
  }
  async promoteDue(at: number) {
    return sum(await this.each((s) => s.promoteDue(at)));
  }
  async continueAborts(at: number) {
    return sum(await this.each((s) => s.continueAborts(at)));
  }
  async continueStoring(at: number, idleMs: number) {
    return sum(await this.each((s) => s.continueStoring(at, idleMs)));
  }
  async finishJob(report: FinishReport): Promise<FinishAnswer> {
    return this.of(report.root).finishJob(report);
  }
  /**
   * Each shard's ends in one call, in parallel. A shard whose master is
   * away answers its ends UnavailableError and the others are kept: they
   * are written, and their jobs must not be journalled as if they were not.
   */
  async finishJobs(reports: FinishReport[]): Promise<Array<FinishAnswer | JobtreeError>> {
    if (this.count === 1) return this.home.finishJobs(reports); // unavailable: the call rejects
    let asked = 0;
    let away = 0;
    let reason: unknown;
    const answers = await this.grouped(
      reports,
      (r) => r.root,
      async (s, part) => {
        asked++;
        try {
          return await s.finishJobs(part);
        } catch (err) {
          if (!isRedisUnavailable(err)) throw err;
          away++;
          reason = err;
          return part.map(() => err);
        }
      },
    );
    if (away > 0 && away === asked) throw reason; // no shard answered
    return answers;
  }
  abortJob(id: string, who: string, at: number, opts?: { handlers?: boolean }) {
    return this.of(id).abortJob(id, who, at, opts);
  }
  setPaused(root: string, paused: boolean, at: number) {
    return this.of(root).setPaused(root, paused, at);
  }
  addChildren(plan: Parameters<Store['addChildren']>[0], at: number) {
    return this.of(plan.root).addChildren(plan, at);
  }
  treeTotal(root: string) {
    return this.of(root).treeTotal(root);
  }
  async failRunning(node: string, keepToken: string, code: string, message: string, at: number) {
    return sum(await this.each((s) => s.failRunning(node, keepToken, code, message, at)));
  }
  /**
   * The home shard holds the heartbeat key, so it decides atomically that
   * the node is dead; the other shards then fail its jobs. A node that
   * came back in between has those jobs failed NODE_LOST and its ends
   * fenced, as if the reaper had come a moment earlier.
   */
  async reapNode(node: string, at: number): Promise<number | null> {
    const first = await this.home.reapNode(node, at);
    if (first === null) return null;
    const rest = await Promise.all(this.shards.slice(1).map((s) => s.reapNode(node, at)));
    return first + sum(rest.map((n) => n ?? 0));
  }
  holdLease(name: string, holder: string, ms: number) {
    return this.home.holdLease(name, holder, ms);
  }
  async expiredTrees(finishedBefore: number, limit: number) {
    return (await this.each((s) => s.expiredTrees(finishedBefore, limit))).flat().slice(0, limit);
  }
  deleteTree(root: string) {
    return this.of(root).deleteTree(root);
  }
  async archiveLogs(entries: ArchiveEntry[]) {
    if (this.count === 1) return this.home.archive.write(entries);
    const kept = await this.grouped(
      entries,
      (e) => e.root,
      async (s, part) => {
        const n = await s.archive.write(part);
        return part.map((_, i) => (i === 0 ? n : 0)); // the shard's count, once
      },
    );
    return sum(kept);
  }
  readArchive(root: string, job: string) {
    return this.of(root).archive.read(root, job);
  }
  archivedJobs(root: string) {
    return this.of(root).archive.jobs(root);
  }
  treeEnds(roots: string[]) {
    return this.grouped(
      roots,
      (r) => r,
      (s, part) => s.reads.treeEnds(part),
    );
  }
  connectedSince() {
    return this.home.connectedSince();
  }
  findRoot(id: string) {
    return this.of(id).reads.findRoot(id);
  }
  getJob(id: string) {
    return this.of(id).reads.getJob(id);
  }
  treeMeta(root: string) {
    return this.of(root).reads.treeMeta(root);
  }
  getTree(root: string, opts?: { depth?: number; limit?: number }) {
    return this.of(root).reads.getTree(root, opts);
  }
  getChildren(root: string, parent: string, cursor: string | undefined, limit?: number) {
    return this.of(root).reads.getChildren(root, parent, cursor, limit);
  }
  searchTree(root: string, text: string, limit: number) {
    return this.of(root).reads.searchTree(root, text, limit);
  }
  treeState(root: string) {
    return this.of(root).reads.treeState(root);
  }
  async listTrees(query: TreeQuery) {
    return mergeTreePages(await this.each((s) => s.reads.listTrees(query)), query.limit);
  }

  registerNode(...args: Parameters<Store['registerNode']>) {
    return this.home.nodes.registerNode(...args);
  }
  heartbeat(...args: Parameters<Store['heartbeat']>) {
    return this.home.nodes.heartbeat(...args);
  }
  setDrain(name: string, drain: boolean) {
    return this.home.nodes.setDrain(name, drain);
  }
  publishTypes(...args: Parameters<Store['publishTypes']>) {
    return this.home.nodes.publishTypes(...args);
  }
  nodeOwner(name: string) {
    return this.home.nodes.nodeOwner(name);
  }
  unregisterNode(name: string, runId: string) {
    return this.home.nodes.unregisterNode(name, runId);
  }

  /** The registry's view (home), with the queued and running jobs of every shard. */
  async listNodes(now: number): Promise<NodeView[]> {
    const views = await this.home.nodes.listNodes(now);
    if (this.count === 1) return views;
    const names = views.map((v) => v.name);
    const loads = await Promise.all(this.shards.slice(1).map((s) => s.reads.nodeLoads(names)));
    return views.map((v, i) =>
      withLoad(
        v,
        v.queued + sum(loads.map((l) => l[i]?.queued ?? 0)),
        v.running + sum(loads.map((l) => l[i]?.running ?? 0)),
      ),
    );
  }
  async liveNodes(now: number) {
    return (await this.listNodes(now)).filter((n) => n.alive);
  }
  /** Forgotten only with nothing queued or running for it in any shard. */
  async forgetNode(name: string, lastBeatBefore: number) {
    const loads = await Promise.all(this.shards.slice(1).map((s) => s.reads.nodeLoads([name])));
    if (loads.some(([l]) => (l?.queued ?? 0) > 0 || (l?.running ?? 0) > 0)) return false;
    return this.home.nodes.forgetNode(name, lastBeatBefore);
  }
  async queueDepth(node: string) {
    return sum(await this.each((s) => s.reads.queueDepth(node)));
  }
  async popSignals(node: string) {
    return (await this.each((s) => s.popSignals(node))).flat();
  }

  subscribe(channels: string[], onMessage: (channel: string, message: string) => void) {
    return this.home.subscribe(channels, onMessage);
  }
  /** One connection: every shard's wakes and signals, the home shard's other channels. */
  subscribeAgent(node: string, on: AgentListener): Subscription {
    const wakes = new Map<string, number>();
    const signals = new Set<string>();
    this.keys.forEach((k, i) => {
      wakes.set(k.wakeChannel(node), i).set(k.wakeChannel('*'), i);
      signals.add(k.signalChannel(node));
    });
    const home = this.keys[0] as Keys;
    const control = home.controlChannel(node);
    const types = home.typesChannel();
    const defs = home.defsWakeChannel();
    const channels = [...wakes.keys(), ...signals, control, types, defs];
    return this.home.subscribe(channels, (channel, message) => {
      const shard = wakes.get(channel);
      if (shard !== undefined) {
        this.woken.add(shard);
        on.wake();
      } else if (signals.has(channel)) on.signal();
      else if (channel === control) on.drain(message === 'drain');
      else if (channel === types) on.typesChanged();
      else if (channel === defs) wakeDefinition(this.corrupt, on, defs, message);
    });
  }
  subscribeStatus(...[onEvent, onPaused]: Parameters<Store['subscribeStatus']>): Subscription {
    const status = new Set(this.keys.map((k) => k.statusChannel()));
    const paused = new Set(onPaused ? this.keys.map((k) => k.pausedChannel()) : []);
    return this.home.subscribe(
      [...status, ...paused],
      statusHandler(status, this.corrupt, onEvent, onPaused),
    );
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
