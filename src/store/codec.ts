/**
 * Converts between Redis hash fields and the shapes of shared/types.ts.
 * User JSON is stored as JSON strings and only ever parsed here.
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
import type { ClaimedJob } from './store.js';

function parseJson<T>(text: string | undefined, fallback: T): T {
  if (text === undefined || text === '') return fallback;
  return JSON.parse(text) as T;
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

export function decodeContext(flat: unknown): Record<string, unknown> {
  const items = list<string>(flat);
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < items.length; i += 2)
    out[items[i] as string] = JSON.parse(items[i + 1] as string);
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
  if (h.compensate !== undefined) {
    const c = JSON.parse(h.compensate) as PlannedCompensation & { params: string };
    job.compensate = { ...c, params: parseJson(c.params, {}) };
  }
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
  return grafts ? [...ids, ...(JSON.parse(`[${grafts.slice(1)}]`) as string[])] : ids;
}

/**
 * The payload claimOne (common.lua) returns. A job of very many children
 * comes with their ids only (`childIds`): the store reads the rest.
 */
export function decodeClaim(payload: string): ClaimedJob & { childIds?: string[] } {
  const p = JSON.parse(payload) as Record<string, unknown>;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    id: p.id as string,
    root: p.root as string,
    parent: str(p.parent),
    type: p.type as string,
    title: p.title as string,
    params: parseJson(p.params as string, {}),
    timeoutMs: p.timeoutMs === null || p.timeoutMs === undefined ? null : Number(p.timeoutMs),
    attempt: Number(p.attempt ?? 1),
    tries: Number(p.tries ?? 1),
    queuedAt: Number(p.queuedAt),
    startedAt: Number(p.startedAt),
    tags: parseJson(str(p.tags) ?? '', {}),
    context: decodeContext(p.context),
    ...(typeof p.outcome === 'string' ? { outcome: JSON.parse(p.outcome) as Outcome } : {}),
    ...(typeof p.childIds === 'string'
      ? { childIds: childIdsOf(p.childIds, str(p.graftIds)) }
      : {}),
    children: list<Record<string, unknown>>(p.children).map((c) => ({
      id: c.id as string,
      key: str(c.key),
      result: str(c.result) === null ? null : JSON.parse(c.result as string),
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
