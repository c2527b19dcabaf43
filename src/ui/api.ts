/** The HTTP API of SPEC §7 from the browser, with the session's token. */
import type { JobView, NodeView, TreeSummary } from '../shared/types.js';
import { token, tokenRefused } from './session.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
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
    error?: { code: string; message: string };
  } | null;
  const code = err?.error?.code ?? `HTTP_${res.status}`;
  const message = err?.error?.message ?? res.statusText;
  if (res.status === 401)
    tokenRefused(t ? 'The server refused this token.' : 'This cluster needs its token.');
  throw new ApiError(res.status, code, message);
}

async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await (await request(method, path, body)).json()) as T;
}

export interface TreePage {
  trees: TreeSummary[];
  next: string | null;
}

export const api = {
  trees: (query: URLSearchParams) => json<TreePage>('GET', `/api/v1/trees?${query}`),
  job: (id: string) => json<JobView & { children: string[] }>('GET', `/api/v1/jobs/${id}`),
  nodes: () => json<{ nodes: NodeView[] }>('GET', '/api/v1/nodes'),
  abortTree: (root: string) => request('POST', `/api/v1/trees/${root}/abort`),
  abortJob: (id: string) => request('POST', `/api/v1/jobs/${id}/abort`),
  setPaused: (root: string, paused: boolean) =>
    json<{ root: string; paused: boolean; changed: boolean }>(
      'POST',
      `/api/v1/trees/${root}/${paused ? 'pause' : 'resume'}`,
    ),
  logRange: async (id: string, offset: number, length?: number) =>
    (
      await request(
        'GET',
        `/api/v1/jobs/${id}/log?offset=${offset}${length === undefined ? '' : `&length=${length}`}`,
      )
    ).text(),
};
