/**
 * Reading trees in pages (SPEC §17): a tree down to a depth, each job's
 * children cut to a first page with `childCount`, the per-state `counts`
 * of every cut subtree and a `next` cursor; and the pages after it. A tree
 * of at most FULL_TREE_MAX jobs answers whole unless asked otherwise. Every
 * read is pipelined, 1,000 jobs a round trip: nothing holds Redis.
 */
import type { ChainableCommander } from 'ioredis';
import { LIMITS } from '../jobtree/limits.js';
import { NotFoundError, ValidationError } from '../shared/errors.js';
import type { FoundJob, JobState, NestedJob, TreeView } from '../shared/types.js';
import { childIdsOf, decodeContext, decodeJob, decodeSummary } from './codec.js';
import { guard } from './redis-errors.js';
import type { StoreParts } from './script-client.js';
import { execReads } from './slot-guard.js';

/** A tree of more jobs answers as `depth=1` would unless a depth is asked. */
export const FULL_TREE_MAX = LIMITS.fullTreeJobs;
/** A job's children come this many a page unless a limit is asked. */
export const PAGE_LIMIT = 1000;

export interface TreeReadOptions {
  /** Jobs down to this depth (the root is 0); their children beyond it are counted, not listed. */
  depth?: number;
  /** Children listed per job. */
  limit?: number;
}

type Hash = Record<string, string>;

async function hashes(r: StoreParts, root: string, ids: string[]): Promise<Hash[]> {
  const out: Hash[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await execReads(r.redis, r.keys.tree(root), (pipe) => {
      for (const id of ids.slice(i, i + 1000)) pipe.hgetall(r.keys.job(root, id));
    });
    for (const [, h] of rows) out.push(h as Hash);
  }
  return out;
}

/** A job as a page shows it: its first `limit` children's ids listed, the rest counted. */
function shown(h: Hash): { job: NestedJob; ids: string[] } {
  const view = decodeJob(h);
  return { job: { ...view, children: [], childCount: view.children.length }, ids: view.children };
}

/**
 * Fills `counts` (the job's own state and its whole subtree's) on every job
 * of `tops` that has children (`childIds`), walking the subtrees with
 * pipelined reads of state and children only; a shown job under one of
 * them gets its counts in the same walk.
 */
async function countSubtrees(
  r: StoreParts,
  root: string,
  tops: NestedJob[],
  byId: Map<string, NestedJob>,
  childIds: Map<string, string[]>,
) {
  let level: Array<{ id: string; above: NestedJob[] }> = [];
  for (const top of tops) {
    if ((top.childCount ?? 0) === 0) continue;
    top.counts = { [top.state]: 1 };
    for (const id of childIds.get(top.id) ?? []) level.push({ id, above: [top] });
  }
  while (level.length > 0) {
    const next: typeof level = [];
    for (let i = 0; i < level.length; i += 1000) {
      const part = level.slice(i, i + 1000);
      const rows = await execReads(r.redis, r.keys.tree(root), (pipe) => {
        for (const { id } of part) pipe.hmget(r.keys.job(root, id), 'state', 'children', 'grafts');
      });
      rows.forEach(([, row], k) => {
        const [state, children, grafts] = row as [JobState | null, string | null, string | null];
        if (!state) return;
        const { id, above } = part[k]!;
        const self = byId.get(id);
        if (self && (self.childCount ?? 0) > 0) self.counts = {};
        const chain = self?.counts ? [...above, self] : above;
        for (const a of chain) a.counts![state] = (a.counts![state] ?? 0) + 1;
        for (const c of childIdsOf(children, grafts)) next.push({ id: c, above: chain });
      });
    }
    level = next;
  }
}

/** The whole tree, or (SPEC §17) a page of it: see TreeReadOptions. */
export async function readTree(r: StoreParts, root: string, opts: TreeReadOptions = {}) {
  const read = (pipe: ChainableCommander) =>
    pipe.hgetall(r.keys.tree(root)).hgetall(r.keys.ctx(root));
  const [[, treeHash], [, ctx]] = (await execReads(r.redis, r.keys.tree(root), read)) as [
    [null, Hash],
    [null, Hash],
  ];
  // a tree half-way through its deletion (deleteTree) is gone already
  if (!treeHash.root || treeHash.deleting) throw new NotFoundError(`no tree ${root}`);
  const whole = opts.depth === undefined && Number(treeHash.total) <= FULL_TREE_MAX;
  const depth = whole ? Infinity : (opts.depth ?? 1);
  const limit = whole ? Infinity : (opts.limit ?? PAGE_LIMIT);
  const byId = new Map<string, NestedJob>();
  const childIds = new Map<string, string[]>();
  const cut: NestedJob[] = [];
  let level = [root];
  for (let d = 0; level.length > 0; d++) {
    const next: string[] = [];
    for (const h of await hashes(r, root, level)) {
      if (!h.id) continue;
      const { job, ids } = shown(h);
      byId.set(job.id, job);
      childIds.set(job.id, ids);
      if (job.parent) byId.get(job.parent)?.children.push(job);
      const listed = d < depth ? ids.slice(0, limit) : [];
      next.push(...listed);
      if (whole)
        delete job.childCount; // the whole tree answers as it always has
      else job.next = listed.length < ids.length ? String(listed.length) : null;
      if (job.next && d > 0) cut.push(job);
    }
    level = next;
  }
  const summary = decodeSummary(treeHash);
  const top = byId.get(root) as NestedJob;
  if (!whole) {
    top.counts = summary.counts; // the tree's own counters: no walk for the root
    // the shown jobs whose subtree is cut and that no other such job is above: one walk each
    const cutIds = new Set(cut.map((j) => j.id));
    const tops = cut.filter((j) => !hasAncestorIn(j, cutIds, byId));
    await countSubtrees(r, root, tops, byId, childIds);
  }
  const view: TreeView = {
    root,
    state: summary.state,
    paused: summary.paused,
    seq: Number(treeHash.seq),
    tags: summary.tags,
    context: decodeContext(Object.entries(ctx).flat()),
    job: top,
  };
  return { view, treeHash };
}

function hasAncestorIn(job: NestedJob, ids: Set<string>, byId: Map<string, NestedJob>): boolean {
  for (let p = job.parent; p !== null; p = byId.get(p)?.parent ?? null) if (ids.has(p)) return true;
  return false;
}

/** `?children=JOB&cursor=C&limit=N`: the next page of a job's children, each with its counts. */
export async function readChildren(
  r: StoreParts,
  root: string,
  parent: string,
  cursor: string | undefined,
  limit = PAGE_LIMIT,
): Promise<{ jobs: NestedJob[]; next: string | null }> {
  const from = cursor === undefined ? 0 : Number(cursor);
  if (cursor !== undefined && !/^\d{1,6}$/.test(cursor))
    throw new ValidationError('cursor: not a cursor this server gave', 'cursor');
  const [h] = await hashes(r, root, [parent]);
  if (!h?.id) throw new NotFoundError(`no job ${parent} in tree ${root}`);
  const ids = shown(h).ids;
  const page = ids.slice(from, from + limit);
  const childIds = new Map<string, string[]>();
  const jobs: NestedJob[] = [];
  for (const x of await hashes(r, root, page)) {
    if (!x.id) continue;
    const { job, ids: kids } = shown(x);
    job.next = kids.length > 0 ? '0' : null;
    childIds.set(job.id, kids);
    jobs.push(job);
  }
  await countSubtrees(r, root, jobs, new Map(jobs.map((j) => [j.id, j])), childIds);
  return { jobs, next: from + page.length < ids.length ? String(from + page.length) : null };
}

/**
 * `?search=TEXT`: the jobs whose title holds `text` (case-insensitive), in
 * tree order level by level, at most `limit`; `more` when the walk stopped
 * at the limit. Pipelined reads of a few fields, 1,000 jobs a round trip:
 * a 100,000-job tree is a hundred short trips, never one long command.
 */
export async function searchTree(
  r: StoreParts,
  root: string,
  text: string,
  limit: number,
): Promise<{ jobs: FoundJob[]; more: boolean }> {
  const [known, deleting] = await guard(r.redis.hmget(r.keys.tree(root), 'root', 'deleting'));
  if (!known || deleting) throw new NotFoundError(`no tree ${root}`);
  const needle = text.toLowerCase();
  const found: FoundJob[] = [];
  let level = [root];
  while (level.length > 0) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 1000) {
      const part = level.slice(i, i + 1000);
      const rows = await execReads(r.redis, r.keys.tree(root), (pipe) => {
        for (const id of part) {
          pipe.hmget(
            r.keys.job(root, id),
            'title',
            'state',
            'node',
            'parent',
            'children',
            'grafts',
          );
        }
      });
      for (const [k, [, row]] of rows.entries()) {
        const [title, state, node, parent, children, grafts] = row as Array<string | null>;
        if (title === null || title === undefined) continue; // deleted meanwhile
        if (title.toLowerCase().includes(needle)) {
          if (found.length === limit) return { jobs: found, more: true };
          const id = part[k]!;
          found.push({
            id,
            parent: parent || null,
            title,
            state: state as JobState,
            node: node ?? '',
          });
        }
        next.push(...childIdsOf(children, grafts));
      }
    }
    level = next;
  }
  return { jobs: found, more: false };
}
