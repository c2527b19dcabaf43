/**
 * The lines of a merged tail's scope that this node holds (SPEC §19): the
 * logs on its disk of the jobs of one tree (its handler tree too), of the
 * trees of a tag query, or of every job it runs. It finds them in its log
 * directories, and the jobs that start here later by the status events
 * its server hands it (a job RUNNING on this node), follows each from where
 * the request says with the one follower of a job's log (follower.ts), and
 * gives the lines on, filtered, each with its job's title, root and offset,
 * at the pace its sink takes them. A tree's feed ends once the tree has
 * ended and every line of it here was given; the others never end.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isTerminal } from '../jobtree/states.js';
import { isJobId } from '../shared/ids.js';
import type { Semaphore } from '../shared/semaphore.js';
import type { StatusEvent } from '../shared/types.js';
import type { ArchivePort, NodePort, ReadPort } from '../store/store.js';
import type { LogSink, TailLine } from './events.js';
import { LogFollower } from './follower.js';
import type { JobLogs } from './job-logs.js';
import { JobLines, tailLines, type OffsetLine } from './log-lines.js';
import { lastLines } from './reader.js';
import type { LineFilter, TailRequest } from './tail-request.js';

/** Where a feed's lines go. */
export interface TailSink {
  /** Resolves once the lines were taken: the feed reads on only then. */
  lines(lines: TailLine[]): Promise<void>;
  /**
   * Every line that was there when the tail started has been given (its
   * history); what comes next is new. The merge orders the history of
   * every node before it sends any (SPEC §19: the last N lines of a scope).
   */
  ready(): void;
  end(): void;
  error(code: string, message: string): void;
}

/** What a merged tail reads of the store, its feeds and its fan-out alike. */
export type TailStore = Pick<ReadPort, 'getJob' | 'listTrees' | 'treeMeta'> &
  Pick<NodePort, 'liveNodes'> &
  Pick<ArchivePort, 'readArchive' | 'archivedJobs'>;

/**
 * The trees a scope names now: a tree and its handler tree, or the newest
 * TAG_TREES of a tag query (later ones join by status events); none for a node.
 */
export async function scopeRoots(
  store: Pick<ReadPort, 'listTrees' | 'treeMeta'>,
  scope: TailRequest['scope'],
): Promise<string[]> {
  if ('root' in scope) {
    const meta = await store.treeMeta(scope.root);
    return [scope.root, ...(meta?.handlers ? [meta.handlers] : [])];
  }
  if ('tags' in scope) {
    const tags = Object.entries(scope.tags);
    return (await store.listTrees({ tags, limit: TAG_TREES })).trees.map((t) => t.root);
  }
  return [];
}

export interface ScopeFeedDeps {
  store: Pick<ReadPort, 'getJob' | 'listTrees' | 'treeMeta'>;
  logs: JobLogs;
  node: string;
  /** The server's bound on files read at once. */
  reads: Semaphore;
}

/** Trees of a tag query looked at when a tail starts: the newest. */
export const TAG_TREES = 100;
/** Logs a node scope starts with: the newest written. */
const NODE_LOGS = 100;
/** The lines read back from a log to find its last N that pass a filter. */
const MAX_BACKLOG_LINES = 100_000;
/** How long the history waits for an ended job's last lines (as a read does, api/routes/logs.ts). */
const LAST_LINES_WAIT_MS = 2000;
/** Trees whose tags were looked up, remembered; past it the memory starts afresh. */
const MAX_KNOWN_ROOTS = 10_000;

interface Followed {
  root: string;
  stop(): void;
  done: boolean;
  /** The offset past the last line given: a job that runs here again goes on from it. */
  next: number;
}

/** Ended jobs remembered by a feed that never ends (node, tags); past it the oldest are let go. */
const MAX_DONE = 10_000;

export class ScopeFeed {
  /** root → whether it is in the scope (tags, looked up once). */
  private readonly roots = new Map<string, boolean | Promise<boolean>>();
  private readonly jobs = new Map<string, Followed>();
  private readonly known = new Map<string, Promise<{ title: string; ended: boolean }>>();
  private doneCount = 0;
  /** Status events heard before the jobs on disk were found: handled after. */
  private early: StatusEvent[] | null = [];
  /** Until `ready`: the jobs whose history is not yet given, and the size each had at the start. */
  private catchingUp: { behind: Set<string>; until: Map<string, number> } | null = null;
  private stopped = false;
  private ended = false;
  /** A tree scope: the trees whose end ends it (the tree and its handler tree). */
  private treeRoots: string[] = [];

  constructor(
    private readonly deps: ScopeFeedDeps,
    private readonly req: TailRequest,
    private readonly filter: LineFilter,
    private readonly sink: TailSink,
  ) {}

  /** Whether this node's lines pass the filter at all, and the scope can hold any. */
  private get holdsNothing(): boolean {
    const { scope } = this.req;
    if (this.filter.nodes && !this.filter.nodes.has(this.deps.node)) return true;
    return 'node' in scope && scope.node !== this.deps.node;
  }

  /**
   * Finds the scope's logs on disk and follows them. The caller hands it
   * status events (`onStatus`) from before this is called: a job that
   * starts meanwhile is found either way.
   */
  async start(): Promise<void> {
    const { scope } = this.req;
    if (this.holdsNothing) {
      this.sink.ready();
      // a tree's feed has nothing to wait for; the others stay (a job may start here later)
      if ('root' in scope || 'node' in scope) return this.finish();
      this.early = null;
      return;
    }
    const found = await this.initialJobs();
    if (this.stopped) return;
    await this.followFound(found);
    const early = this.early ?? [];
    this.early = null;
    for (const e of early) this.onStatus(e);
    await this.checkEnd();
  }

  /** The jobs with a log here when the tail starts: root → job ids. */
  private async initialJobs(): Promise<Array<{ root: string; job: string }>> {
    const { scope } = this.req;
    if ('node' in scope) return this.newestLogs();
    const roots = await scopeRoots(this.deps.store, scope);
    if ('root' in scope) this.treeRoots = roots;
    for (const r of roots) this.roots.set(r, true);
    const lists = await Promise.all(roots.map((r) => this.jobsOnDisk(r)));
    return lists.flat();
  }

  private async jobsOnDisk(root: string): Promise<Array<{ root: string; job: string }>> {
    const names = await readdir(resolve(this.deps.logs.dataDir, 'logs', root)).catch(() => []);
    const jobs = names.filter((n) => n.endsWith('.log')).map((n) => n.slice(0, -4));
    return [...new Set([...jobs, ...this.deps.logs.liveOf(root)])]
      .filter((job) => isJobId(job))
      .map((job) => ({ root, job }));
  }

  /** A node scope starts with the logs written last on this node. */
  private async newestLogs(): Promise<Array<{ root: string; job: string }>> {
    const dir = resolve(this.deps.logs.dataDir, 'logs');
    const roots = (await readdir(dir).catch(() => [])).filter((r) => isJobId(r));
    const files = await Promise.all(
      roots.map(async (root) => {
        const names = await readdir(join(dir, root)).catch(() => []);
        return Promise.all(
          names
            .filter((n) => n.endsWith('.log') && isJobId(n.slice(0, -4)))
            .map(async (n) => ({
              root,
              job: n.slice(0, -4),
              mtime: (await stat(join(dir, root, n)).catch(() => null))?.mtimeMs ?? 0,
            })),
        );
      }),
    );
    return files
      .flat()
      .sort((a, b) => b.mtime - a.mtime)
      .slice(0, NODE_LOGS);
  }

  /**
   * Where a job found at the start is followed from, and its history: the
   * lines up to the size its log had (read by its follower), or the last N
   * lines of the scope here (read now, sent in one batch). Says `ready`
   * once the history of every job was given.
   */
  private async followFound(found: Array<{ root: string; job: string }>): Promise<void> {
    const { from } = this.req;
    const wanted = found.filter(({ job }) => this.wants(job));
    const backlog: TailLine[] = [];
    const sizeOf = async (root: string, job: string) =>
      (await stat(this.deps.logs.path(root, job)).catch(() => null))?.size ?? 0;
    const starts = await Promise.all(
      wanted.map(async ({ root, job }) => {
        // SPEC §19: an ended job's last lines reach the disk just after its end: its history waits for them
        if (this.deps.logs.isLive(job) && (await this.jobOf(job)).ended)
          await this.deps.logs.complete(job, LAST_LINES_WAIT_MS);
        const resume = this.resumeAt(job);
        const until = await sizeOf(root, job);
        if (resume !== undefined) return { root, job, start: resume, skip: resume, until };
        if (from === 'start') return { root, job, start: 0, until };
        const path = this.deps.logs.path(root, job);
        const n = from === 'now' ? 0 : from.lines;
        // filtered, the last N lines that pass: read back further (at most 1 MiB) to find them
        const filtered = this.filter.sources !== null || this.filter.text !== null;
        const tail = await this.deps.reads.with(() =>
          lastLines(path, n > 0 && filtered ? MAX_BACKLOG_LINES : n),
        );
        if (n > 0 && tail.text !== '') {
          const title = await this.titleOf(job);
          const lines = new JobLines(tail.start).push(tail.start, tail.text) ?? [];
          backlog.push(...this.toTail(root, job, title, lines).slice(-n));
        }
        return { root, job, start: tail.end, until: tail.end };
      }),
    );
    if (typeof from === 'object' && backlog.length > 0) {
      backlog.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      await this.sink.lines(backlog.slice(-from.lines));
    }
    const behind = new Set(starts.filter((s) => s.until > s.start).map((s) => s.job));
    this.catchingUp = { behind, until: new Map(starts.map((s) => [s.job, s.until])) };
    await Promise.all(starts.map((s) => this.follow(s.root, s.job, s.start, s.skip)));
    this.caughtUp();
  }

  /** A job's follower gave `next` bytes (or ended): the history may be given whole now. */
  private caughtUp(job?: string, next = Infinity): void {
    const c = this.catchingUp;
    if (!c) return;
    if (job !== undefined && next >= (c.until.get(job) ?? 0)) c.behind.delete(job);
    if (c.behind.size > 0) return;
    this.catchingUp = null;
    this.sink.ready();
  }

  /** The offset of the last line the reader saw of the job here, if it resumes. */
  private resumeAt(job: string): number | undefined {
    const { offsets } = this.req;
    return offsets[`${job}@${this.deps.node.toLowerCase()}`] ?? offsets[job];
  }

  private wants(job: string): boolean {
    return !this.filter.jobs || this.filter.jobs.has(job);
  }

  /** A job's title, and whether it had ended when first asked (read once). */
  private jobOf(job: string): Promise<{ title: string; ended: boolean }> {
    let known = this.known.get(job);
    if (!known) {
      known = this.deps.store
        .getJob(job)
        .then((j) => ({ title: j.title, ended: isTerminal(j.state) }))
        .catch(() => ({ title: '', ended: true })); // gone with its tree: it says no more
      this.known.set(job, known);
    }
    return known;
  }

  private async titleOf(job: string): Promise<string> {
    return (await this.jobOf(job)).title;
  }

  private toTail(root: string, job: string, title: string, lines: OffsetLine[]): TailLine[] {
    return tailLines(lines, { root, job, title, node: this.deps.node }, this.filter);
  }

  /** Follows a job's log here from `start` (past the line at `skip`, a resume). */
  private async follow(root: string, job: string, start: number, skip?: number): Promise<void> {
    if (this.jobs.has(job) || this.stopped) return;
    const followed: Followed = { root, stop: () => undefined, done: false, next: start };
    this.jobs.set(job, followed);
    const title = await this.titleOf(job);
    if (this.stopped) return;
    const lines = new JobLines(start, skip);
    const finish = (): void => {
      if (followed.done) return;
      this.caughtUp(job);
      followed.done = true;
      followed.stop();
      this.forgetDone();
      void this.checkEnd();
    };
    const sink: LogSink = {
      data: async (offset, data) => {
        const got = lines.push(offset, data);
        followed.next = lines.next;
        const tail = got ? this.toTail(root, job, title, got) : [];
        if (tail.length > 0) await this.sink.lines(tail);
        this.caughtUp(job, lines.next);
      },
      end: () => {
        const tail = this.toTail(root, job, title, lines.flush());
        if (tail.length === 0) return finish();
        void this.sink.lines(tail).then(finish, finish);
      },
      error: finish, // this job's log cannot be read here: the others go on
    };
    const follower = new LogFollower(
      {
        id: job,
        path: this.deps.logs.path(root, job),
        finalState: async () => {
          const s = (await this.deps.store.getJob(job).catch(() => null))?.state;
          // a job gone with its tree (retention) has said all it will
          return s === undefined ? 'SUCCESS' : isTerminal(s) ? s : null;
        },
      },
      this.deps.logs,
      sink,
      this.deps.reads,
    );
    followed.stop = () => follower.stop();
    void follower.start(start).catch(() => finish());
  }

  /** A feed that never ends lets go of the oldest ended jobs past MAX_DONE. */
  private forgetDone(): void {
    this.doneCount += 1;
    if (this.treeRoots.length > 0 || this.doneCount <= MAX_DONE) return;
    for (const [job, f] of this.jobs) {
      if (this.doneCount <= MAX_DONE / 2) break;
      if (!f.done) continue;
      this.jobs.delete(job);
      this.known.delete(job);
      this.doneCount -= 1;
    }
  }

  /**
   * A status event of the cluster: a job of the scope that starts here is
   * followed from its start, or, when it ran here before, from where its
   * lines ended.
   */
  onStatus(e: StatusEvent): void {
    if (this.stopped || this.ended) return;
    if (this.early) {
      this.early.push(e);
      return;
    }
    if (this.treeRoots.includes(e.root) && isTerminal(e.state)) void this.checkEnd();
    if (e.state !== 'RUNNING' || e.node !== this.deps.node) return;
    const before = this.jobs.get(e.job);
    if ((before && !before.done) || !this.wants(e.job) || this.holdsNothing) return;
    void this.inScope(e.root).then((yes) => {
      if (!yes || this.jobs.get(e.job) !== before) return;
      if (before) {
        this.jobs.delete(e.job);
        this.doneCount -= 1;
        return this.follow(e.root, e.job, before.next);
      }
      const resume = this.resumeAt(e.job);
      return this.follow(e.root, e.job, resume ?? 0, resume);
    });
  }

  private async inScope(root: string): Promise<boolean> {
    const { scope } = this.req;
    if ('node' in scope) return true;
    if ('root' in scope) return this.treeRoots.includes(root);
    const known = this.roots.get(root);
    if (known !== undefined) return known;
    if (this.roots.size >= MAX_KNOWN_ROOTS) this.roots.clear();
    const looked = this.deps.store
      .treeMeta(root)
      .then((meta) =>
        Object.entries(scope.tags).every(([k, v]) => meta !== null && meta.tags[k] === v),
      )
      .catch(() => false);
    this.roots.set(root, looked);
    const yes = await looked;
    this.roots.set(root, yes);
    return yes;
  }

  /**
   * A tree's feed ends once its trees have ended and every log of theirs
   * here was given whole, a look at the disk having found no log it missed
   * (a job that ran here while its start was still on its way).
   */
  private async checkEnd(): Promise<void> {
    if (this.treeRoots.length === 0 || this.early || this.ended || this.stopped) return;
    if ([...this.jobs.values()].some((f) => !f.done)) return;
    const metas = await Promise.all(this.treeRoots.map((r) => this.deps.store.treeMeta(r)));
    if (!metas.every((m) => m === null || m.state !== 'RUNNING')) return;
    const missed = (await Promise.all(this.treeRoots.map((r) => this.jobsOnDisk(r)))).flat();
    const left = missed.filter(({ job }) => !this.jobs.has(job) && this.wants(job));
    if (left.length > 0) {
      for (const { root, job } of left) await this.follow(root, job, 0);
      return; // their ends look again
    }
    if ([...this.jobs.values()].some((f) => !f.done) || this.ended) return;
    this.finish();
  }

  private finish(): void {
    if (this.ended || this.stopped) return;
    this.ended = true;
    this.stopFollowers();
    this.sink.end();
  }

  private stopFollowers(): void {
    for (const f of this.jobs.values()) f.stop();
  }

  /** Stops for good: every follower lets go. */
  stop(): void {
    this.stopped = true;
    this.stopFollowers();
  }
}
