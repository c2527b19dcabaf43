/**
 * A merged tail's `logs:subscribe` (SPEC §19), checked where it enters:
 * the scope (one tree, the trees of a tag query, or a node), where to
 * start (`start`, `now`, the last N lines, or the offsets a reader saw
 * before a reconnect), and the filter. A bad message is answered with the
 * field it got wrong, never thrown; a pattern that cannot be matched in
 * linear time is refused. The same shape travels to the nodes a tail fans
 * out to (`toWire`), with each node's own resume offsets.
 */
import { isJobId, NODE_NAME_PATTERN } from '../shared/ids.js';
import { LIMITS, TAG_KEY_RE } from '../jobtree/limits.js';
import { ValidationError } from '../shared/errors.js';
import { lineTest, MAX_PATTERN } from './line-test.js';

export type TailScope = { root: string } | { tags: Record<string, string> } | { node: string };

/** Where each job's lines start: its first, after what it had, or its last N lines of the scope. */
export type TailStart = 'start' | 'now' | { lines: number };

export interface TailFilter {
  jobs?: string[];
  nodes?: string[];
  sources?: string[];
  text?: string | { re: string };
}

export interface TailRequest {
  sub: string;
  scope: TailScope;
  /** For jobs not named in `offsets`. */
  from: TailStart;
  /**
   * A resume (SPEC §19): job (or `job@node`) → the offset of the last line
   * the reader saw of it; its lines go on after that one.
   */
  offsets: Record<string, number>;
  filter: TailFilter;
  /** Set by a fanning-out agent: answer from this node's disk only. */
  local: boolean;
  /** Set by a fanning-out agent: acknowledge each batch, and get the next ones only then. */
  ack: boolean;
}

/** What a merged tail's feeds test each line with, compiled once. */
export interface LineFilter {
  jobs: ReadonlySet<string> | null;
  nodes: ReadonlySet<string> | null;
  sources: ReadonlySet<string> | null;
  text: ((text: string) => boolean) | null;
}

export const SOURCES: ReadonlySet<string> = new Set(['agent', 'job', 'stdout', 'stderr', 'file']);
const NODE_RE = new RegExp(`^${NODE_NAME_PATTERN}$`);
const MAX_SUB = 64;
const MAX_LINES = 10_000;
const MAX_OFFSETS = 10_000;
const MAX_NAMED = 1000;
const MAX_TAGS = 16;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (field: string, message: string) => new ValidationError(`${field}: ${message}`, field);

function parseScope(raw: unknown): TailScope {
  if (!isObject(raw)) throw bad('scope', 'want {root}, {tags} or {node}');
  const keys = Object.keys(raw);
  if (keys.length !== 1) throw bad('scope', 'name one of root, tags, node');
  if ('root' in raw) {
    if (!isJobId(raw.root)) throw bad('scope.root', 'not a tree id');
    return { root: raw.root.toLowerCase() };
  }
  if ('node' in raw) {
    if (typeof raw.node !== 'string' || !NODE_RE.test(raw.node))
      throw bad('scope.node', 'not a node name');
    return { node: raw.node };
  }
  if ('tags' in raw) {
    const tags = raw.tags;
    if (!isObject(tags) || Object.keys(tags).length === 0 || Object.keys(tags).length > MAX_TAGS)
      throw bad('scope.tags', `want 1 to ${MAX_TAGS} tags`);
    for (const [k, v] of Object.entries(tags)) {
      if (!TAG_KEY_RE.test(k)) throw bad(`scope.tags.${k.slice(0, 64)}`, 'not a tag key');
      if (typeof v !== 'string' || v.length < 1 || v.length > LIMITS.maxTagValue)
        throw bad(`scope.tags.${k}`, 'want a tag value');
    }
    return { tags: tags as Record<string, string> };
  }
  throw bad('scope', 'name one of root, tags, node');
}

function parseStart(raw: unknown, field: string): TailStart {
  if (raw === 'start' || raw === 'now') return raw;
  if (isObject(raw) && 'lines' in raw) {
    const n = raw.lines;
    if (!Number.isSafeInteger(n) || (n as number) < 0 || (n as number) > MAX_LINES)
      throw bad(`${field}.lines`, `want 0 to ${MAX_LINES}`);
    return { lines: n as number };
  }
  throw bad(field, 'want "start", "now", {lines: N} or {offsets: {...}}');
}

function parseOffsets(raw: unknown): Record<string, number> {
  if (!isObject(raw)) throw bad('from.offsets', 'want {job: offset}');
  const entries = Object.entries(raw);
  if (entries.length > MAX_OFFSETS) throw bad('from.offsets', `at most ${MAX_OFFSETS} jobs`);
  const out: Record<string, number> = {};
  for (const [key, offset] of entries) {
    const at = key.indexOf('@');
    const job = at < 0 ? key : key.slice(0, at);
    if (!isJobId(job) || (at >= 0 && !NODE_RE.test(key.slice(at + 1))))
      throw bad('from.offsets', `"${key.slice(0, 80)}" is no job (or job@node)`);
    if (!Number.isSafeInteger(offset) || (offset as number) < 0)
      throw bad(`from.offsets.${key}`, 'want a byte offset');
    out[key.toLowerCase()] = offset as number;
  }
  return out;
}

function names(raw: unknown, field: string, ok: (v: string) => boolean): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length > MAX_NAMED)
    throw bad(field, `want a list of at most ${MAX_NAMED}`);
  for (const v of raw)
    if (typeof v !== 'string' || !ok(v)) throw bad(field, `"${String(v).slice(0, 80)}" is not one`);
  return raw as string[];
}

function parseFilter(raw: unknown): TailFilter {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw bad('filter', 'want {jobs?, nodes?, sources?, text?}');
  const filter: TailFilter = {};
  const jobs = names(raw.jobs, 'filter.jobs', isJobId);
  const nodes = names(raw.nodes, 'filter.nodes', (v) => NODE_RE.test(v));
  const sources = names(raw.sources, 'filter.sources', (v) => SOURCES.has(v));
  if (jobs) filter.jobs = jobs.map((j) => j.toLowerCase());
  if (nodes) filter.nodes = nodes;
  if (sources) filter.sources = sources;
  const text = raw.text;
  if (typeof text === 'string' && text.length > 0 && text.length <= MAX_PATTERN) filter.text = text;
  else if (isObject(text) && typeof text.re === 'string' && text.re.length <= MAX_PATTERN) {
    lineTest({ re: text.re }, 'filter.text.re'); // refused here, before anything is read
    filter.text = { re: text.re };
  } else if (text !== undefined)
    throw bad('filter.text', `want a text or {re}, at most ${MAX_PATTERN} characters`);
  return filter;
}

/** The scope's own start when none is given: a tree from its start, the rest their last 200 lines. */
export function defaultStart(scope: TailScope): TailStart {
  return 'root' in scope ? 'start' : { lines: 200 };
}

/** A `logs:subscribe`, checked; a ValidationError names the bad field. */
export function parseTailRequest(raw: unknown): TailRequest {
  if (!isObject(raw)) throw bad('sub', 'want {sub, scope, from?, filter?}');
  const sub = raw.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUB)
    throw bad('sub', `want a name of 1 to ${MAX_SUB} characters`);
  const scope = parseScope(raw.scope);
  let from = defaultStart(scope);
  let offsets: Record<string, number> = {};
  if (isObject(raw.from) && 'offsets' in raw.from) {
    offsets = parseOffsets(raw.from.offsets);
    if (raw.from.rest !== undefined) from = parseStart(raw.from.rest, 'from.rest');
  } else if (raw.from !== undefined) from = parseStart(raw.from, 'from');
  const filter = parseFilter(raw.filter);
  return { sub, scope, from, offsets, filter, local: raw.local === true, ack: raw.ack === true };
}

/** The filter's tests, compiled once. */
export function compileFilter(filter: TailFilter): LineFilter {
  const set = (v: string[] | undefined) => (v ? new Set(v) : null);
  const text =
    filter.text === undefined
      ? null
      : lineTest(typeof filter.text === 'string' ? { q: filter.text } : filter.text, 'filter.text');
  return {
    jobs: set(filter.jobs),
    nodes: set(filter.nodes),
    sources: set(filter.sources),
    text,
  };
}

/** The request a fanning-out agent sends a node: its own resume offsets, answered locally. */
export function toWire(req: TailRequest, sub: string, offsets: Record<string, number>) {
  return {
    sub,
    scope: req.scope,
    from: { offsets, rest: req.from },
    filter: req.filter,
    local: true,
    ack: true,
  };
}
