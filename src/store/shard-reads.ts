/**
 * The reads of one shard (SPEC §7, §17): a job, a tree whole or in pages,
 * a page of children, a title search, tree states and ends, a listing by
 * tags, a node's load. Pipelined; a record that cannot be read is skipped
 * or answered as missing, never guessed (parse-record.ts).
 */
import { NotFoundError, ValidationError } from '../shared/errors.js';
import { isJobId } from '../shared/ids.js';
import type {
  FoundJob,
  HandlersState,
  JobView,
  NestedJob,
  Outcome,
  TreeState,
  TreeView,
} from '../shared/types.js';
import { decodeJob, decodeSummary } from './codec.js';
import { parseObject } from './parse-record.js';
import { guard } from './redis-errors.js';
import type { StoreParts } from './script-client.js';
import { execReads } from './slot-guard.js';
import type { TreeEnd, TreeMeta, TreeQuery } from './store.js';
import { readChildren, readTree, searchTree, type TreeReadOptions } from './tree-pages.js';

const CURSOR_RE = /^(\d+):([0-9a-f-]{36})$/;

export class ShardReads {
  constructor(private readonly parts: StoreParts) {}

  private get redis() {
    return this.parts.redis;
  }

  private get keys() {
    return this.parts.keys;
  }

  private get prefix() {
    return this.parts.prefix;
  }

  async treeEnds(roots: string[]): Promise<Array<TreeEnd | null>> {
    const rows = await execReads(this.redis, this.keys.trees(), (pipe) => {
      for (const root of roots) pipe.hmget(this.keys.tree(root), 'state', 'finishedAt');
    });
    return rows.map(([, r]) => {
      const [state, finishedAt] = r as [string | null, string | null];
      if (!state) return null;
      return {
        state: state as TreeEnd['state'],
        finishedAt: finishedAt ? Number(finishedAt) : null,
      };
    });
  }

  async findRoot(id: string): Promise<string | null> {
    if (!isJobId(id)) return null;
    return guard(this.redis.hget(this.keys.jobRoot(), id));
  }

  /** The root of job `id`, or NotFoundError. */
  async requireRoot(id: string): Promise<string> {
    const root = await this.findRoot(id);
    if (!root) throw new NotFoundError(`no job ${id}`);
    return root;
  }

  async getJob(id: string): Promise<JobView> {
    const root = await this.requireRoot(id);
    const h = await guard(this.redis.hgetall(this.keys.job(root, id)));
    if (!h.id) throw new NotFoundError(`no job ${id}`);
    return decodeJob(h);
  }

  async treeState(root: string): Promise<{ state: TreeView['state']; seq: number } | null> {
    if (!isJobId(root)) return null;
    const [state, seq] = await guard(this.redis.hmget(this.keys.tree(root), 'state', 'seq'));
    if (!state) return null;
    return { state: state as TreeView['state'], seq: Number(seq) };
  }

  async treeMeta(root: string): Promise<TreeMeta | null> {
    if (!isJobId(root)) return null;
    const [state, tags, handlers] = await guard(
      this.redis.hmget(this.keys.tree(root), 'state', 'tags', 'handlers'),
    );
    if (!state) return null;
    const parsed = parseObject(tags ?? '{}') ?? {};
    const strings = Object.entries(parsed).filter(([, v]) => typeof v === 'string');
    return {
      state: state as TreeState,
      tags: Object.fromEntries(strings) as Record<string, string>,
      handlers: handlers && isJobId(handlers) ? handlers : null,
    };
  }

  /** The whole tree, or a page of it (SPEC §17, tree-pages.ts). */
  async getTree(root: string, opts?: TreeReadOptions): Promise<TreeView> {
    if (!isJobId(root)) throw new NotFoundError(`no tree ${root}`);
    const { view, treeHash } = await readTree(this.parts, root, opts);
    if (treeHash.handlers !== undefined) {
      view.handlers = await this.handlersOf(treeHash.handlers, view.state);
    }
    if (treeHash.handlerOf !== undefined) view.handlerOf = treeHash.handlerOf;
    const outcome = parseObject(treeHash.outcome);
    if (outcome) view.outcome = outcome as unknown as Outcome;
    return view;
  }

  async getChildren(
    root: string,
    parent: string,
    cursor: string | undefined,
    limit?: number,
  ): Promise<{ jobs: NestedJob[]; next: string | null }> {
    if (!isJobId(root) || !isJobId(parent)) throw new NotFoundError(`no job ${parent}`);
    return readChildren(this.parts, root, parent, cursor, limit);
  }

  async searchTree(
    root: string,
    text: string,
    limit: number,
  ): Promise<{ jobs: FoundJob[]; more: boolean }> {
    if (!isJobId(root)) throw new NotFoundError(`no tree ${root}`);
    return searchTree(this.parts, root, text, limit);
  }

  /** Where a tree's handler tree stands (SPEC §15): see HandlersState. */
  private async handlersOf(
    root: string,
    treeState: TreeState,
  ): Promise<{ root: string; state: HandlersState }> {
    if (treeState === 'RUNNING') return { root, state: 'PENDING' };
    const state = await guard(this.redis.hget(this.keys.tree(root), 'state'));
    return { root, state: (state as TreeState | null) ?? 'SKIPPED' };
  }

  async listTrees(
    q: TreeQuery,
  ): Promise<{ trees: ReturnType<typeof decodeSummary>[]; next: string | null }> {
    let cursorScore = '';
    let cursorRoot = '';
    if (q.cursor !== undefined) {
      const m = CURSOR_RE.exec(q.cursor);
      if (!m) throw new ValidationError('cursor: not a cursor this server gave', 'cursor');
      [cursorScore, cursorRoot] = [m[1] as string, m[2] as string];
    }
    const indexes = q.tags.map(([k, v]) => this.keys.tag(k, v));
    if (q.state) indexes.push(this.keys.treeState(q.state));
    if (indexes.length === 0) indexes.push(this.keys.trees());
    const out = await guard(
      this.redis.queryTrees(
        this.keys.trees(),
        this.prefix,
        q.limit,
        cursorScore,
        cursorRoot,
        ...indexes,
      ),
    );
    const next = out.pop() || null;
    const rows = await execReads(this.redis, this.keys.trees(), (pipe) => {
      for (const root of out) pipe.hgetall(this.keys.tree(root));
    });
    const trees = rows
      .map(([, h]) => h as Record<string, string>)
      .filter((h) => h.root)
      .map(decodeSummary);
    return { trees, next };
  }

  /** Each node's queued and running jobs in this store (a shard's share, for ShardedStore). */
  async nodeLoads(names: string[]): Promise<Array<{ queued: number; running: number }>> {
    const rows = await execReads(this.redis, this.keys.trees(), (pipe) => {
      for (const n of names) pipe.llen(this.keys.queue(n)).scard(this.keys.running(n));
    });
    return names.map((_, i) => ({
      queued: Number(rows[i * 2]?.[1] ?? 0),
      running: Number(rows[i * 2 + 1]?.[1] ?? 0),
    }));
  }

  async queueDepth(node: string): Promise<number> {
    return guard(this.redis.llen(this.keys.queue(node)));
  }
}
