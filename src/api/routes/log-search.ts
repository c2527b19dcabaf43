/**
 * GET /api/v1/logs/search (SPEC §19): text in the logs of a tree (or of
 * the trees a tag query names, the newest 100), on every node at once.
 * The agent asked sends the same search to each live node (`local=true`,
 * with that node's cursor); each scans only its own files within the
 * budget (logstream/search.ts); the matches come back merged by time, at
 * most `limit`, with `next` to go on from where each node stopped (its
 * matches cut by the limit, or its `logs.searchBudgetMs` spent). `re`
 * is run in linear time (RE2) or refused. The archived logs of nodes
 * that are gone are searched here, in the agent asked (SPEC §19).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { peerUrlRefusal } from '../../access/peer-url.js';
import { readArchived } from '../../logstream/archive.js';
import { lineTest } from '../../logstream/line-test.js';
import {
  diskShelf,
  memoryShelf,
  searchLocal,
  type LogShelf,
  type LocalAnswer,
  type LocalMatch,
  type ScanCursor,
} from '../../logstream/search.js';
import { ValidationError } from '../../shared/errors.js';
import { isJobId } from '../../shared/ids.js';
import type { AppDeps } from '../app-deps.js';
import { parseObject } from '../../store/parse-record.js';
import { getFromPeer } from '../peer-request.js';
import { parseTags } from '../query.js';

/** Trees a tag query searches: the newest. */
const MAX_TREES = 100;
const SOURCES = new Set(['agent', 'job', 'stdout', 'stderr', 'file']);
/** The most a node's answer may weigh: `limit` lines of at most a log line's size. */
const MAX_ANSWER_BYTES = 64 << 20;

interface Search {
  roots: string[];
  q?: string;
  re?: string;
  /** The line test `q` or `re` make, compiled once. */
  test: (text: string) => boolean;
  sources: string[];
  node?: string;
  limit: number;
}

function many(raw: unknown): string[] {
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String);
}

function one(raw: unknown, name: string): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new ValidationError(`${name}: give it once`, name);
  return raw;
}

function parseSearch(query: Context['query']): Search {
  const q = one(query.q, 'q');
  const re = one(query.re, 're');
  if ((q === undefined) === (re === undefined))
    throw new ValidationError('q: give the text (q) or a pattern (re), one of them', 'q');
  if (q === '') throw new ValidationError('q: empty', 'q');
  const sources = many(query.source);
  const bad = sources.find((x) => !SOURCES.has(x));
  if (bad !== undefined)
    throw new ValidationError(`source: want ${[...SOURCES].join(', ')}, got "${bad}"`, 'source');
  const rawLimit = one(query.limit, 'limit') ?? '100';
  const limit = Number(rawLimit);
  if (!/^\d{1,4}$/.test(rawLimit) || limit < 1 || limit > 1000)
    throw new ValidationError('limit: want 1 to 1000', 'limit');
  const roots = many(query.root);
  if (roots.some((r) => !isJobId(r))) throw new ValidationError('root: not a tree id', 'root');
  const node = one(query.node, 'node');
  // a bad pattern is refused before anything is read
  const search: Search = {
    roots,
    sources,
    limit,
    test: lineTest(q !== undefined ? { q } : { re: re ?? '' }, 're'),
  };
  if (q !== undefined) search.q = q;
  if (re !== undefined) search.re = re;
  if (node !== undefined) search.node = node;
  return search;
}

/** A position of logstream/search.ts, as a cursor or a peer's answer carries it. */
function isScanCursor(value: unknown): value is ScanCursor {
  if (typeof value !== 'object' || value === null) return false;
  const { r, j, o } = value as Partial<ScanCursor>;
  const counts = [r, o].every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
  return counts && typeof j === 'string' && (j === '' || isJobId(j));
}

function encodeCursor(cursors: Record<string, ScanCursor>): string {
  return Buffer.from(JSON.stringify(cursors)).toString('base64url');
}

function decodeCursor(raw: string | undefined): Record<string, ScanCursor> | null {
  if (raw === undefined) return null;
  const value = parseObject(Buffer.from(raw, 'base64url').toString());
  if (!value || !Object.values(value).every(isScanCursor))
    throw new ValidationError('cursor: not a cursor this server gave', 'cursor');
  return value as Record<string, ScanCursor>;
}

/**
 * A node's answer, checked where it enters (SPEC §18): a junk answer is a
 * node that did not answer; a match that cannot be read is left out alone.
 */
function parsePeerAnswer(text: string): LocalAnswer | null {
  const value = parseObject(text);
  if (!value || !Array.isArray(value.matches)) return null;
  if (value.next !== null && !isScanCursor(value.next)) return null;
  const scanned = (typeof value.scanned === 'object' ? (value.scanned ?? {}) : {}) as Record<
    string,
    unknown
  >;
  const matches = (value.matches as unknown[]).filter((m): m is LocalMatch => {
    const x = (m ?? {}) as Partial<LocalMatch>;
    return (
      isJobId(x.root) &&
      isJobId(x.job) &&
      [x.at, x.source, x.text].every((f) => typeof f === 'string') &&
      Number.isSafeInteger(x.offset) &&
      isScanCursor(x.after)
    );
  });
  return {
    matches,
    next: value.next,
    scanned: { bytes: Number(scanned.bytes) || 0, jobs: Number(scanned.jobs) || 0 },
  };
}

/** The search of this node's own files, as a node asked by another answers it. */
function searchHere(deps: AppDeps, s: Search, cursor: ScanCursor | undefined) {
  return searchShelf(diskShelf(deps.logs.dataDir), deps, s, cursor);
}

function searchShelf(shelf: LogShelf, deps: AppDeps, s: Search, cursor: ScanCursor | undefined) {
  return searchLocal(shelf, {
    roots: s.roots,
    test: s.test,
    sources: new Set(s.sources),
    limit: s.limit,
    budgetMs: deps.searchBudgetMs,
    ...(cursor ? { cursor } : {}),
  });
}

/** The query a node is sent: the same search, its roots resolved, and its own cursor. */
function peerQuery(s: Search, cursor: ScanCursor | undefined): string {
  const q = new URLSearchParams({ local: 'true', limit: String(s.limit) });
  for (const r of s.roots) q.append('root', r);
  for (const x of s.sources) q.append('source', x);
  if (s.q !== undefined) q.set('q', s.q);
  if (s.re !== undefined) q.set('re', s.re);
  if (cursor) q.set('at', `${cursor.r}.${cursor.j || '-'}.${cursor.o}`);
  return q.toString();
}

async function askPeer(deps: AppDeps, url: string, s: Search, cursor?: ScanCursor) {
  if (peerUrlRefusal(url, deps.ownTls) !== null) return null;
  const auth: Record<string, string> = {};
  if (deps.tokens.token) auth.authorization = `Bearer ${deps.tokens.token}`;
  try {
    const res = await getFromPeer(
      `${url}/api/v1/logs/search?${peerQuery(s, cursor)}`,
      auth,
      deps.peerCa,
    );
    // bytes first: a character may be cut between two chunks
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) throw new Error('answer too large');
      chunks.push(chunk);
    }
    if (res.statusCode !== 200) return null;
    return parsePeerAnswer(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}

function parseAt(raw: unknown): ScanCursor | undefined {
  if (raw === undefined) return undefined;
  const m = typeof raw === 'string' ? /^(\d{1,9})\.([0-9a-f-]{36}|-)\.(\d{1,15})$/.exec(raw) : null;
  if (!m || (m[2] !== '-' && !isJobId(m[2])))
    throw new ValidationError('at: not a position this server gave', 'at');
  return { r: Number(m[1]), j: m[2] === '-' ? '' : (m[2] as string), o: Number(m[3]) };
}

type NodeAnswer = { node: string; answer: LocalAnswer | null; archived?: true };

/**
 * The archived logs of the trees searched whose node is not alive (SPEC
 * §19): node → root → job ids. Searched here, in the agent asked, as
 * that node would have searched its files.
 */
async function archivesOfGoneNodes(
  deps: AppDeps,
  s: Search,
  live: ReadonlySet<string>,
): Promise<Map<string, Map<string, string[]>>> {
  const gone = new Map<string, Map<string, string[]>>();
  if (!deps.archive.enabled) return gone;
  const perRoot = await Promise.all(s.roots.map((r) => deps.store.archivedJobs(r)));
  s.roots.forEach((root, i) => {
    for (const [job, node] of perRoot[i] ?? []) {
      if (live.has(node) || (s.node !== undefined && node !== s.node)) continue;
      const roots = gone.get(node) ?? new Map<string, string[]>();
      gone.set(node, roots.set(root, [...(roots.get(root) ?? []), job]));
    }
  });
  return gone;
}

function searchArchives(
  deps: AppDeps,
  s: Search,
  roots: Map<string, string[]>,
  cursor: ScanCursor | undefined,
) {
  const shelf = memoryShelf(
    async (root) => roots.get(root) ?? [],
    async (root, job) =>
      (await readArchived(deps.store, root, job, deps.archive.maxBytes))?.text ?? null,
  );
  return searchShelf(shelf, deps, s, cursor);
}

/**
 * The page: every node's matches merged by time, the first `limit` kept;
 * and where each node goes on: after the last of its matches kept, where
 * its own scan stopped, or (a node that did not answer) where it was.
 */
function mergePage(
  answers: NodeAnswer[],
  limit: number,
  cursors: Record<string, ScanCursor> | null,
) {
  const merged = answers
    .flatMap(({ node, answer, archived }) =>
      (answer?.matches ?? []).map((m) => ({ ...m, node, ...(archived ? { archived } : {}) })),
    )
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .slice(0, limit);
  const next: Record<string, ScanCursor> = {};
  for (const { node, answer } of answers) {
    const where = cursors?.[node] ?? { r: 0, j: '', o: 0 };
    if (!answer) {
      next[node] = where; // asked again on the next page: nothing of it is lost
      continue;
    }
    const kept = merged.filter((m) => m.node === node);
    if (kept.length < answer.matches.length) next[node] = kept.at(-1)?.after ?? where;
    else if (answer.next) next[node] = answer.next;
  }
  return { merged, next };
}

export function logSearchRoutes(router: Router, deps: AppDeps): void {
  router.get('/api/v1/logs/search', async (ctx) => {
    const s = parseSearch(ctx.query);
    if (ctx.query.local === 'true') {
      ctx.body = await searchHere(deps, s, parseAt(ctx.query.at));
      return;
    }
    const tags = parseTags(ctx);
    if (s.roots.length > 0 === tags.length > 0)
      throw new ValidationError(
        'root: name the trees (root) or a tag query (tag), one of them',
        'root',
      );
    if (tags.length > 0) {
      const page = await deps.store.listTrees({ tags, limit: MAX_TREES });
      s.roots = page.trees.map((t) => t.root);
    }
    const cursors = decodeCursor(one(ctx.query.cursor, 'cursor'));
    const live = await deps.store.liveNodes(Date.now());
    const nodes = live.filter((n) => s.node === undefined || n.name === s.node);
    const gone = await archivesOfGoneNodes(deps, s, new Set(live.map((n) => n.name)));
    // a cursor names the nodes with more to read; the first page asks every node
    const asked = cursors ? nodes.filter((n) => n.name in cursors) : nodes;
    const answers = await Promise.all([
      ...asked.map(async (n) => {
        const cursor = cursors?.[n.name];
        const answer =
          n.name === deps.node
            ? await searchHere(deps, s, cursor)
            : await askPeer(deps, n.url, s, cursor);
        return { node: n.name, answer } as NodeAnswer;
      }),
      ...[...gone]
        .filter(([node]) => !cursors || node in cursors)
        .map(async ([node, roots]) => {
          const answer = await searchArchives(deps, s, roots, cursors?.[node]);
          return { node, answer, archived: true } as NodeAnswer;
        }),
    ]);
    const { merged, next } = mergePage(answers, s.limit, cursors);
    const titles = new Map<string, string>();
    await Promise.all(
      [...new Set(merged.map((m) => m.job))].map(async (id) => {
        titles.set(id, (await deps.store.getJob(id).catch(() => null))?.title ?? '');
      }),
    );
    const scanned = { bytes: 0, jobs: 0 };
    for (const { answer } of answers) {
      scanned.bytes += answer?.scanned.bytes ?? 0;
      scanned.jobs += answer?.scanned.jobs ?? 0;
    }
    ctx.body = {
      matches: merged.map(({ root, job, node, source, at, offset, text, archived }) => ({
        root,
        job,
        title: titles.get(job) ?? '',
        node,
        source,
        at,
        offset,
        text,
        ...(archived ? { archived } : {}),
      })),
      next: Object.keys(next).length > 0 ? encodeCursor(next) : null,
      scanned,
      unavailable: answers.filter((a) => a.answer === null).map((a) => a.node),
    };
  });
}
