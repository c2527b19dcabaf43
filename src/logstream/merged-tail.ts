/**
 * A merged tail (SPEC §19), as the agent a reader subscribed to serves it:
 * one feed per node concerned (this node's own `ScopeFeed`, the others'
 * over the relay, one upstream connection per node), the lines of the
 * jobs of nodes that are gone read from their archives, all merged by time
 * within the hold-back (hold-back.ts) and sent to the reader in batches at
 * the pace it takes them. A feed that falls behind the reader's socket is
 * held: the lines wait in the feed's node, never in this one's memory
 * beyond HIGH_WATER lines.
 *
 * Nothing is lost or repeated: each node's feed is resubscribed after a
 * dropped connection with the offset of the last line seen of each of its
 * jobs, and a reader that reconnects does the same with `from.offsets`.
 * A tree's tail ends once every node's feed has ended (its trees ended and
 * every line was given); a node that dies is told (`logs:error`
 * NODE_UNAVAILABLE with its name), its jobs' archives are read, and its
 * feed counts as ended, so no reader waits forever.
 */
import { peerUrlRefusal } from '../access/peer-url.js';
import type { StatusEvent } from '../shared/types.js';
import { readArchived, sliceArchived } from './archive.js';
import { HoldBack } from './hold-back.js';
import { JobLines, tailLines } from './log-lines.js';
import type { LogRelay } from './relay.js';
import type { TailLine } from './events.js';
import { scopeRoots, type TailSink, type TailStore } from './scope-feed.js';
import { toWire, type LineFilter, type TailRequest } from './tail-request.js';

export interface MergedTailDeps {
  store: TailStore;
  /** This agent's node. */
  node: string;
  relay: LogRelay;
  /** Starts this node's own feed; answers what stops it. */
  local(req: TailRequest, sink: TailSink): () => void;
  archive: { enabled: boolean; maxBytes: number };
  holdMs: number;
  /** This agent serves TLS: it relays from no plain-http peer (SPEC §18). */
  tls: boolean;
}

/** Where the merged lines go: a reader's socket. */
export interface TailOut extends TailSink {
  /** One node's feed failed (`logs:error` naming it); the others go on. */
  nodeError(code: string, message: string, node: string): void;
}

/** Lines held here at most before the feeds wait for the reader. */
const HIGH_WATER = 5000;
/** Lines a `logs:data` batch carries at most. */
const BATCH = 500;
/** Jobs whose last offset is remembered (for resumes); past it the oldest are let go. */
const MAX_SEEN = 50_000;

interface Feed {
  stop(): void;
  ended: boolean;
  /** Its history is given (or it ended): SPEC §19's `from` is met for it. */
  ready: boolean;
}

/**
 * How long the history of slow nodes is waited for before what came is
 * sent (SPEC §19: the first line within 1 s); theirs then comes as it
 * arrives, in the live order.
 */
const HISTORY_WAIT_MS = 700;

export class MergedTail {
  private readonly feeds = new Map<string, Feed>();
  /** `job@node` → the offset of the last line passed on. */
  private readonly seen = new Map<string, number>();
  private readonly hold: HoldBack<TailLine>;
  private readonly waiters: Array<() => void> = [];
  private readonly opening = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private archivesLeft = 0;
  /** Until every node's history is in: the lines that came, ordered and sent together. */
  private history: TailLine[] | null = [];
  private historyTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private ended = false;

  constructor(
    private readonly deps: MergedTailDeps,
    private readonly req: TailRequest,
    private readonly filter: LineFilter,
    private readonly out: TailOut,
  ) {
    this.hold = new HoldBack(deps.holdMs);
  }

  private get isTree(): boolean {
    return 'root' in this.req.scope;
  }

  private wantsNode(node: string): boolean {
    return !this.filter.nodes || this.filter.nodes.has(node);
  }

  async start(): Promise<void> {
    const { scope } = this.req;
    const live = await this.deps.store.liveNodes(Date.now());
    if ('node' in scope) {
      const node = live.find((n) => n.name === scope.node);
      if (!node) {
        this.out.error('NODE_UNAVAILABLE', `node ${scope.node} is not alive`);
        return;
      }
      this.open(node.name, node.url);
    } else {
      if ('root' in scope && (await this.deps.store.treeMeta(scope.root)) === null) {
        this.out.error('NOT_FOUND', `no tree ${scope.root}`);
        return;
      }
      for (const n of live) if (this.wantsNode(n.name)) this.open(n.name, n.url);
      const names = new Set(live.map((n) => n.name));
      this.readArchives((node) => !names.has(node));
    }
    this.started = true;
    this.historyTimer = setTimeout(() => void this.sendHistory(), HISTORY_WAIT_MS);
    this.checkHistory();
  }

  /** A status event: a node that runs a job of the cluster and has no feed yet gets one. */
  onStatus(e: StatusEvent): void {
    if (!this.started || this.stopped || 'node' in this.req.scope) return;
    if (e.state !== 'RUNNING' || this.feeds.has(e.node) || this.opening.has(e.node)) return;
    if (!this.wantsNode(e.node)) return;
    this.opening.add(e.node);
    void this.deps.store
      .liveNodes(Date.now())
      .then((live) => {
        const node = live.find((n) => n.name === e.node);
        if (node && !this.feeds.has(node.name)) this.open(node.name, node.url);
      })
      .catch(() => undefined)
      .finally(() => this.opening.delete(e.node));
  }

  /** The offsets a node's feed is (re)sent with: the reader's own, then what was seen since. */
  private offsetsFor(node: string): Record<string, number> {
    const out: Record<string, number> = { ...this.req.offsets };
    const mark = `@${node.toLowerCase()}`;
    for (const [key, offset] of this.seen) if (key.endsWith(mark)) out[key] = offset;
    return out;
  }

  private open(node: string, url: string): void {
    if (this.stopped || this.feeds.has(node)) return;
    const feed: Feed = { stop: () => undefined, ended: false, ready: this.history === null };
    this.feeds.set(node, feed);
    const sink = this.feedSink(node, feed);
    if (node === this.deps.node) {
      feed.stop = this.deps.local({ ...this.req, local: true }, sink);
      return;
    }
    const refused = peerUrlRefusal(url, this.deps.tls);
    if (refused !== null) return sink.error('NODE_UNAVAILABLE', refused);
    const sub = `${this.req.sub}@${node}`.slice(0, 64);
    feed.stop = this.deps.relay.subscribeTail(
      url,
      () => toWire(this.req, sub, this.offsetsFor(node)),
      sink,
    );
  }

  private feedSink(node: string, feed: Feed): TailSink {
    return {
      lines: (lines) => this.add(lines.filter((l) => l.node === node)),
      ready: () => {
        feed.ready = true;
        this.checkHistory();
      },
      end: () => {
        feed.ended = true;
        feed.ready = true;
        this.checkHistory();
        this.maybeEnd();
      },
      error: (code, message) => {
        feed.ended = true;
        feed.ready = true;
        this.checkHistory();
        if (this.stopped || this.ended) return;
        this.out.nodeError(code, message, node);
        // its jobs' archives, those that exist, say what its feed did not
        if (code === 'NODE_UNAVAILABLE') this.readArchives((n) => n === node);
        this.maybeEnd();
      },
    };
  }

  /** The roots whose archives are read: the tree (and its handler tree), or the tag query's newest. */
  /** Reads the archived logs of the scope written by the nodes `gone` names. */
  private readArchives(gone: (node: string) => boolean): void {
    if (!this.deps.archive.enabled) return;
    this.archivesLeft += 1;
    void this.archived(gone)
      .catch(() => undefined) // Redis unavailable: the live feeds go on
      .finally(() => {
        this.archivesLeft -= 1;
        this.checkHistory();
        this.maybeEnd();
      });
  }

  private async archived(gone: (node: string) => boolean): Promise<void> {
    const lines: TailLine[] = [];
    for (const root of await scopeRoots(this.deps.store, this.req.scope)) {
      const jobs = await this.deps.store.archivedJobs(root);
      for (const [job, node] of jobs) {
        if (!gone(node) || !this.wantsNode(node)) continue;
        if (this.filter.jobs && !this.filter.jobs.has(job)) continue;
        lines.push(...(await this.archivedLines(root, job, node)));
      }
    }
    const { from } = this.req;
    const keep = typeof from === 'object' ? lines.slice(-from.lines) : lines;
    if (keep.length > 0) await this.add(keep);
  }

  private async archivedLines(root: string, job: string, node: string): Promise<TailLine[]> {
    const key = `${job}@${node.toLowerCase()}`;
    const seen = this.seen.get(key) ?? this.req.offsets[key] ?? this.req.offsets[job];
    if (seen === undefined && this.req.from === 'now') return [];
    const archived = await readArchived(this.deps.store, root, job, this.deps.archive.maxBytes);
    if (!archived) return [];
    const start = seen ?? 0;
    const { bytes } = sliceArchived(archived.text, start);
    const got = new JobLines(start, seen).push(start, bytes.toString('utf8')) ?? [];
    const title = (await this.deps.store.getJob(job).catch(() => null))?.title ?? '';
    return tailLines(got, { root, job, title, node, archived: true }, this.filter);
  }

  /** Once every node's history is in (and the archives read): it is sent first. */
  private checkHistory(): void {
    if (this.history === null || !this.started || this.archivesLeft > 0) return;
    if ([...this.feeds.values()].every((f) => f.ready)) void this.sendHistory();
  }

  /**
   * Sends the history of the scope, every node's, in time order (each
   * job's lines in file order): for `{lines: N}`, the last N of them all.
   * Then tells the reader (`ready`), and the live lines follow.
   */
  private async sendHistory(): Promise<void> {
    const history = this.history;
    if (history === null || this.stopped) return;
    this.history = null;
    clearTimeout(this.historyTimer);
    const order = new HoldBack<TailLine>(0);
    const now = Date.now();
    for (const line of history) order.add(line, now);
    const { from } = this.req;
    const lines = order.take(now, true);
    const keep =
      typeof from === 'object' && from.lines < lines.length ? lines.slice(-from.lines) : lines;
    this.pumping = true;
    try {
      for (let i = 0; i < keep.length && !this.stopped; i += BATCH)
        await this.out.lines(keep.slice(i, i + BATCH));
      this.out.ready();
    } finally {
      this.pumping = false;
    }
    for (const wake of this.waiters.splice(0)) wake();
    this.schedule();
    this.maybeEnd();
  }

  /** Takes lines into the history or the hold-back; resolves once there is room for more. */
  private add(lines: TailLine[]): Promise<void> {
    if (this.stopped || this.ended) return Promise.resolve();
    const now = Date.now();
    for (const line of lines) {
      const key = `${line.job}@${line.node.toLowerCase()}`;
      this.seen.delete(key); // kept in the order last seen: the oldest go first
      this.seen.set(key, line.offset);
      if (this.history) this.history.push(line);
      else this.hold.add(line, now);
    }
    // a history too big to wait for (a big tree from its start) goes as it is
    if (this.history && this.history.length > HIGH_WATER * 4) void this.sendHistory();
    if (this.seen.size > MAX_SEEN) {
      for (const key of this.seen.keys()) {
        if (this.seen.size <= MAX_SEEN / 2) break;
        this.seen.delete(key);
      }
    }
    this.schedule();
    if (this.hold.size < HIGH_WATER) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private schedule(): void {
    if (this.timer || this.pumping || this.stopped) return;
    const due = this.hold.nextDue();
    if (due === null) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.pump();
      },
      Math.max(0, due - Date.now()),
    );
  }

  /** Sends the lines that are due, a batch at a time, each once the reader took the last. */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (;;) {
        const lines = this.hold.take(Date.now(), this.endingNow());
        if (lines.length === 0 || this.stopped) break;
        for (let i = 0; i < lines.length && !this.stopped; i += BATCH)
          await this.out.lines(lines.slice(i, i + BATCH));
        if (this.hold.size < HIGH_WATER) for (const wake of this.waiters.splice(0)) wake();
      }
    } finally {
      this.pumping = false;
    }
    this.schedule();
    this.maybeEnd();
  }

  /** Every feed has ended: what is held goes now, in order, without waiting for its time. */
  private endingNow(): boolean {
    return (
      this.isTree &&
      this.started &&
      this.history === null &&
      this.archivesLeft === 0 &&
      [...this.feeds.values()].every((f) => f.ended)
    );
  }

  private maybeEnd(): void {
    if (this.ended || this.stopped || !this.endingNow()) return;
    if (this.hold.size > 0 || this.pumping) {
      if (!this.pumping) void this.pump();
      return;
    }
    this.ended = true;
    this.stopFeeds();
    this.out.end();
  }

  private stopFeeds(): void {
    clearTimeout(this.timer);
    clearTimeout(this.historyTimer);
    for (const f of this.feeds.values()) f.stop();
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The reader left or unsubscribed: every feed stops. */
  stop(): void {
    this.stopped = true;
    this.stopFeeds();
  }
}
