/** The HTTP API of SPEC §7 from the browser, with the session's token. */
import type {
  FoundJob,
  JobView,
  NestedJob,
  NodeView,
  TreeSummary,
  TreeView,
} from '../shared/types.js';
import type { TailLineView } from '../jobtree/live-tail.js';
import { token, tokenRefused } from './session.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The bad field of a 400 (`params.version`). */
    readonly path?: string,
  ) {
    super(message);
  }
}

export async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const t = token();
  const res = await fetch(path, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(t ? { authorization: `Bearer ${t}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (res.ok) return res;
  const err = (await res.json().catch(() => null)) as {
    error?: { code: string; message: string; path?: string };
  } | null;
  const code = err?.error?.code ?? `HTTP_${res.status}`;
  const message = err?.error?.message ?? res.statusText;
  if (res.status === 401)
    tokenRefused(t ? 'The server refused this token.' : 'This cluster needs its token.');
  throw new ApiError(res.status, code, message, err?.error?.path);
}

async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await (await request(method, path, body)).json()) as T;
}

export interface TreePage {
  trees: TreeSummary[];
  next: string | null;
}

/** A definition as GET /api/v1/definitions/:name answers it (SPEC §13). */
export interface Definition {
  name: string;
  version: number;
  description: string;
  params: Record<string, unknown>;
  tags: Record<string, string>;
  maxConcurrentRuns: number | null;
  tree: Record<string, unknown>;
  createdAt: number;
}

export interface DefinitionRow {
  name: string;
  description: string;
  version: number;
  lastRun?: { root: string; state: TreeSummary['state']; createdAt: number };
}

const def = (name: string, rest = '') => `/api/v1/definitions/${encodeURIComponent(name)}${rest}`;

/** A match of GET /api/v1/logs/search (SPEC §19): a tail line's fields. */
export type LogMatch = TailLineView;

export const api = {
  searchLogs: (root: string, q: string, cursor?: string) =>
    json<{ matches: LogMatch[]; next: string | null }>(
      'GET',
      `/api/v1/logs/search?${new URLSearchParams({ root, q, ...(cursor ? { cursor } : {}) })}`,
    ),
  trees: (query: URLSearchParams) => json<TreePage>('GET', `/api/v1/trees?${query}`),
  tree: (root: string) => json<TreeView>('GET', `/api/v1/trees/${root}`),
  children: (root: string, job: string, cursor: string) =>
    json<{ jobs: NestedJob[]; next: string | null }>(
      'GET',
      `/api/v1/trees/${root}?children=${job}&cursor=${cursor}&limit=1000`,
    ),
  search: (root: string, text: string) =>
    json<{ jobs: FoundJob[]; more: boolean }>(
      'GET',
      `/api/v1/trees/${root}?search=${encodeURIComponent(text)}&limit=100`,
    ),
  job: (id: string) => json<JobView & { children: string[] }>('GET', `/api/v1/jobs/${id}`),
  nodes: () => json<{ nodes: NodeView[] }>('GET', '/api/v1/nodes'),
  abortTree: (root: string) => request('POST', `/api/v1/trees/${root}/abort`),
  abortJob: (id: string) => request('POST', `/api/v1/jobs/${id}/abort`),
  setPaused: (root: string, paused: boolean) =>
    json<{ root: string; paused: boolean; changed: boolean }>(
      'POST',
      `/api/v1/trees/${root}/${paused ? 'pause' : 'resume'}`,
    ),
  setDrain: (node: string, drain: boolean) =>
    json<{ node: string; state: string }>(
      'POST',
      `/api/v1/nodes/${encodeURIComponent(node)}/${drain ? 'drain' : 'undrain'}`,
    ),
  definitions: () => json<{ definitions: DefinitionRow[] }>('GET', '/api/v1/definitions'),
  definition: (name: string, version?: number) =>
    json<Definition>('GET', def(name, version ? `?version=${version}` : '')),
  versions: (name: string) =>
    json<{ versions: Array<{ version: number; createdAt: number; sha256: string }> }>(
      'GET',
      def(name, '/versions'),
    ),
  runs: (name: string) =>
    json<TreePage & { runs: TreeSummary[] }>('GET', def(name, '/runs?limit=20')),
  messages: (name: string) =>
    json<{ messages: Array<{ id: string; params: unknown; postedAt: number }> }>(
      'GET',
      def(name, '/messages'),
    ),
  withdraw: (name: string, id: string) => request('DELETE', def(name, `/messages/${id}`)),
  run: (name: string, params: unknown, queue: boolean) =>
    json<{ root?: string; id?: string; position?: number }>('POST', def(name, '/runs'), {
      params,
      ...(queue ? { queue: true } : {}),
    }),
  logRange: async (id: string, offset: number, length?: number) =>
    (
      await request(
        'GET',
        `/api/v1/jobs/${id}/log?offset=${offset}${length === undefined ? '' : `&length=${length}`}`,
      )
    ).text(),
};
