/**
 * Converts between Redis hash fields and the shapes of shared/types.ts.
 * User JSON is stored as JSON strings and only ever parsed here. SPEC §18:
 * a record may be corrupt. What is shown (a job, a tree) reads a field that
 * cannot be read as absent; what is run (a claim) is read strictly, and a
 * job whose record cannot be read throws CorruptRecordError, for the store
 * to fail that job alone (CORRUPT_RECORD).
 */
import type {
  Attempt,
  JobError,
  JobState,
  JobView,
  Outcome,
  PlannedCompensation,
  PlannedJob,
  TreeSummary,
  TreeState,
} from '../shared/types.js';
import { isAllowedTransition, isJobState } from '../jobtree/states.js';
import { isJobId } from '../shared/ids.js';
import type { PausedEvent, StatusEvent } from '../shared/types.js';
import { parseObject } from './parse-record.js';
import type { ClaimedJob } from './store.js';

/** A field's JSON, or `fallback` when it is absent or cannot be read (a view's reading). */
function parseJson<T>(text: string | undefined, fallback: T): T {
  if (text === undefined || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** A claimed job whose record cannot be read: it is failed, never run on a guess. */
export class CorruptRecordError extends Error {
  constructor(
    readonly root: string,
    readonly id: string,
    what: string,
  ) {
    super(`the record of job ${id} cannot be read: ${what}`);
    this.name = 'CorruptRecordError';
  }
}

/** A field's JSON for a job about to run: absent is `fallback`, unreadable is a CorruptRecordError. */
function strictJson<T>(root: string, id: string, field: string, text: unknown, fallback: T): T {
  if (text === undefined || text === null || text === '') return fallback;
  try {
    return JSON.parse(String(text)) as T;
  } catch {
    throw new CorruptRecordError(root, id, `its ${field} is not JSON`);
  }
}

function num(text: string | undefined): number | undefined {
  return text === undefined || text === '' ? undefined : Number(text);
}

/** Lua's cjson writes an empty table as `{}`; an empty list is meant. */
function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/** A planned job as submitTree/addChildren read it: flat strings, no nulls. */
export function encodePlanned(job: PlannedJob): Record<string, string | number> {
  const out: Record<string, string | number> = {
    id: job.id,
    title: job.title,
    type: job.type,
    node: job.node,
    params: JSON.stringify(job.params),
    children: JSON.stringify(job.children),
    pending: job.children.length,
    state: job.state,
  };
  if (job.parent !== null) out.parent = job.parent;
  if (job.key !== undefined) out.key = job.key;
  if (job.timeoutMs !== undefined) out.timeoutMs = job.timeoutMs;
  if (job.pool !== undefined) {
    out.pool = job.pool;
    out.poolSlots = job.poolSlots ?? 1;
  }
  if (job.retry !== undefined) {
    out.retry = JSON.stringify(job.retry);
    out.tries = job.retry.attempts; // read by every claim: a plain field, no JSON in Lua
  }
  if (job.compensate !== undefined) {
    // params stay a string inside: Lua's cjson would turn an empty list into {}
    const { params, ...rest } = job.compensate;
    out.compensate = JSON.stringify({ ...rest, params: JSON.stringify(params) });
  }
  return out;
}

/** A context object as the flat `[key, valueJSON, ...]` list the scripts take. */
export function encodeContext(context: Record<string, unknown>): string[] {
  return Object.entries(context).flatMap(([k, v]) => [k, JSON.stringify(v ?? null)]);
}

/** A context as the scripts return it; `strict` names the job being claimed (an unreadable value throws). */
export function decodeContext(
  flat: unknown,
  strict?: { root: string; id: string },
): Record<string, unknown> {
  const items = list<string>(flat);
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < items.length; i += 2) {
    const key = items[i] as string;
    out[key] = strict
      ? strictJson(strict.root, strict.id, `context ${key}`, items[i + 1], null)
      : parseJson<unknown>(items[i + 1], null);
  }
  return out;
}

/** A job hash (HGETALL) as the API shows it. */
export function decodeJob(h: Record<string, string>): JobView {
  const job: JobView = {
    id: h.id as string,
    root: h.root as string,
    parent: h.parent ?? null,
    title: h.title as string,
    type: h.type as string,
    node: h.node as string,
    state: h.state as JobState,
    params: parseJson(h.params, {}),
    createdAt: Number(h.createdAt),
    children: childIdsOf(h.children, h.grafts),
  };
  if (h.key !== undefined) job.key = h.key;
  if (h.pool !== undefined) {
    job.pool = h.pool;
    job.poolSlots = Number(h.poolSlots ?? 1);
  }
  if (h.typeVersion !== undefined) job.typeVersion = h.typeVersion;
  const timeoutMs = num(h.timeoutMs);
  if (timeoutMs !== undefined) job.timeoutMs = timeoutMs;
  for (const t of ['queuedAt', 'startedAt', 'finishedAt'] as const) {
    const v = num(h[t]);
    if (v !== undefined) job[t] = v;
  }
  if (h.summary !== undefined) job.summary = h.summary;
  if (h.error !== undefined)
    job.error = parseJson<JobError>(h.error, { code: 'UNKNOWN', message: '' });
  if (h.result !== undefined) job.result = parseJson<unknown>(h.result, null);
  const c = parseJson<(PlannedCompensation & { params: string }) | null>(h.compensate, null);
  if (c !== null && typeof c === 'object')
    job.compensate = { ...c, params: parseJson(c.params, {}) };
  if (h.tries !== undefined) {
    job.attempt = Number(h.attempt ?? 1);
    job.tries = Number(h.tries);
    job.attempts = list<Attempt>(parseJson(h.attempts, []));
    const runAt = num(h.runAt);
    if (runAt !== undefined && job.state === 'QUEUED') job.runAt = runAt;
  }
  return job;
}

/**
 * A job's children in order: its `children` JSON, then the ids grafted
 * under it once that list was long (`grafts`, `,"id"` after `,"id"`:
 * addChildren appends there, so that it never rewrites a long list).
 */
export function childIdsOf(children: string | null | undefined, grafts?: string | null): string[] {
  const ids = list<string>(parseJson(children ?? undefined, []));
  return grafts ? [...ids, ...list<string>(parseJson(`[${grafts.slice(1)}]`, []))] : ids;
}

/**
 * The payload claimOne (claim.lua) returns. A job of very many children
 * comes with their ids only (`childIds`): the store reads the rest.
 */
export function decodeClaim(payload: string): ClaimedJob & { childIds?: string[] } {
  const p = JSON.parse(payload) as Record<string, unknown>; // made by cjson in the script
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const root = String(p.root);
  const id = String(p.id);
  const json = <T>(field: string, text: unknown, fallback: T): T =>
    strictJson(root, id, field, text, fallback);
  const params = json<unknown>('params', p.params, {});
  if (params === null || typeof params !== 'object' || Array.isArray(params))
    throw new CorruptRecordError(root, id, 'its params are not an object');
  if (typeof p.type !== 'string' || typeof p.title !== 'string')
    throw new CorruptRecordError(root, id, 'it has no type or title');
  const timeoutMs = p.timeoutMs === null || p.timeoutMs === undefined ? null : Number(p.timeoutMs);
  if (timeoutMs !== null && !(timeoutMs > 0))
    throw new CorruptRecordError(root, id, 'its timeoutMs is not a number');
  return {
    id,
    root,
    parent: str(p.parent),
    type: p.type,
    title: p.title,
    params: params as ClaimedJob['params'],
    timeoutMs,
    attempt: Number(p.attempt ?? 1),
    tries: Number(p.tries ?? 1),
    queuedAt: Number(p.queuedAt),
    startedAt: Number(p.startedAt),
    tags: json('tags', str(p.tags), {}),
    context: decodeContext(p.context, { root, id }),
    ...(typeof p.outcome === 'string'
      ? { outcome: json<Outcome>('outcome', p.outcome, {} as Outcome) }
      : {}),
    ...(typeof p.childIds === 'string'
      ? { childIds: childIdsOf(p.childIds, str(p.graftIds)) }
      : {}),
    children: list<Record<string, unknown>>(p.children).map((c) => ({
      id: c.id as string,
      key: str(c.key),
      result: json<unknown>(`child ${String(c.id)}'s result`, str(c.result), null),
      summary: str(c.summary),
    })),
  };
}

/** A tree hash as a listing row (SPEC §7 tree summary). */
export function decodeSummary(h: Record<string, string>): TreeSummary {
  const counts: TreeSummary['counts'] = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith('n:') && Number(v) > 0) counts[k.slice(2) as JobState] = Number(v);
  }
  const out: TreeSummary = {
    root: h.root as string,
    title: h.title as string,
    state: h.state as TreeState,
    // a finished tree is not paused, whatever it was when it ended
    paused: h.state === 'RUNNING' && h.paused !== undefined,
    tags: parseJson(h.tags, {}),
    createdAt: Number(h.createdAt),
    counts,
  };
  const finishedAt = num(h.finishedAt);
  if (finishedAt !== undefined) out.finishedAt = finishedAt;
  if (h.summary !== undefined) out.summary = h.summary;
  if (h.handlerOf !== undefined) out.handlerOf = h.handlerOf;
  return out;
}

/** A status message of SPEC §4 rule 8, or null when it is none (SPEC §18: skipped). */
export function decodeStatusEvent(text: string): StatusEvent | null {
  const e = parseObject(text);
  if (!e || !isJobId(e.root) || !isJobId(e.job) || !isJobState(e.state)) return null;
  if (!Number.isSafeInteger(e.seq) || typeof e.at !== 'number') return null;
  const prev = e.prev ?? null;
  if (prev !== null && !isJobState(prev)) return null;
  if (!isAllowedTransition(prev, e.state)) return null; // no script makes such a move
  return e as unknown as StatusEvent;
}

/** A pause message (jobtree's `tree:paused`), or null when it is none. */
export function decodePausedEvent(text: string): PausedEvent | null {
  const e = parseObject(text);
  if (!e || !isJobId(e.root) || typeof e.paused !== 'boolean' || typeof e.at !== 'number')
    return null;
  return e as unknown as PausedEvent;
}
