/**
 * GET /api/v1/jobs/:id/log?offset=N[&length=L] (SPEC §7): a job's log bytes from any
 * node. The owner's agent streams its file; any other agent proxies to the
 * owner (streamed, never buffered) with the cluster token; when the owner
 * is not alive, the job's archive in Redis answers (SPEC §19,
 * `X-Log-Source: archive`). Headers tell where the bytes start, the file
 * size, and whether the log is complete.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { IncomingMessage } from 'node:http';
import { readArchived, sliceArchived } from '../../logstream/archive.js';
import { readLog } from '../../logstream/reader.js';
import { isTerminal } from '../../jobtree/states.js';
import { UnavailableError, ValidationError } from '../../shared/errors.js';
import type { JobView } from '../../shared/types.js';
import type { AppDeps } from '../app-deps.js';
import { getFromPeer } from '../peer-request.js';
import { peerUrlRefusal } from '../../access/peer-url.js';

const FORWARDED = [
  'x-log-start',
  'x-log-size',
  'x-log-complete',
  'x-log-source',
  'x-job-state',
  'x-job-node',
];

function parseOffset(raw: unknown): number {
  if (raw === undefined) return 0;
  if (typeof raw !== 'string' || !/^-?\d{1,15}$/.test(raw)) {
    throw new ValidationError('offset: want an integer (negative: the last N bytes)', 'offset');
  }
  return Number(raw);
}

function parseLength(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) {
    throw new ValidationError('length: want a number of bytes', 'length');
  }
  return Number(raw);
}

interface Range {
  offset: number;
  length: number | undefined;
}

/** How long a read of an ended job's log waits for its last lines to reach the disk. */
const LAST_LINES_WAIT_MS = 2000;

async function serveLocal(ctx: Context, deps: AppDeps, job: JobView, r: Range): Promise<void> {
  // the end is published before the runner's last lines are on disk: wait for them
  const ended = isTerminal(job.state);
  if (ended) await deps.logs.complete(job.id, LAST_LINES_WAIT_MS);
  const range = await readLog(deps.logs.path(job.root, job.id), r.offset, r.length);
  const complete = ended && !deps.logs.isLive(job.id);
  ctx.set('X-Log-Start', String(range.start));
  ctx.set('X-Log-Size', String(range.size));
  ctx.set('X-Log-Complete', String(complete));
  ctx.set('X-Job-State', job.state);
  ctx.set('X-Job-Node', job.node);
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = range.stream ?? '';
}

/**
 * The log of a job whose node is not alive, from its archive (SPEC §19);
 * false when there is none (archives off, or the node died before it ended).
 */
async function serveArchived(ctx: Context, deps: AppDeps, job: JobView, r: Range) {
  if (!deps.archive.enabled) return false;
  const archived = await readArchived(deps.store, job.root, job.id, deps.archive.maxBytes);
  if (!archived) return false;
  const { start, size, bytes } = sliceArchived(archived.text, r.offset, r.length);
  ctx.set('X-Log-Start', String(start));
  ctx.set('X-Log-Size', String(size));
  ctx.set('X-Log-Complete', 'true'); // archived once the job ended and its log was whole
  ctx.set('X-Log-Source', 'archive');
  ctx.set('X-Job-State', job.state);
  ctx.set('X-Job-Node', job.node);
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = bytes;
  return true;
}

async function proxy(ctx: Context, deps: AppDeps, job: JobView, r: Range): Promise<void> {
  const owner = (await deps.store.liveNodes(Date.now())).find((n) => n.name === job.node);
  if (!owner) {
    if (await serveArchived(ctx, deps, job, r)) return;
    throw new UnavailableError(
      `node ${job.node}, which has this log, is not alive${deps.archive.enabled ? ', and it left no archive of it' : ''}`,
      'NODE_UNAVAILABLE',
      5,
    );
  }
  const refused = peerUrlRefusal(owner.url, deps.ownTls);
  if (refused !== null) throw new UnavailableError(refused, 'NODE_UNAVAILABLE', 5);
  const length = r.length === undefined ? '' : `&length=${r.length}`;
  const url = `${owner.url}/api/v1/jobs/${job.id}/log?offset=${r.offset}${length}&local=true`;
  let res: IncomingMessage;
  try {
    res = await getFromPeer(
      url,
      deps.tokens.token ? { authorization: `Bearer ${deps.tokens.token}` } : {},
      deps.peerCa,
    );
  } catch {
    throw new UnavailableError(
      `node ${job.node} does not answer at ${owner.url}`,
      'NODE_UNAVAILABLE',
      5,
    );
  }
  ctx.status = res.statusCode ?? 502;
  for (const h of FORWARDED) {
    const v = res.headers[h.toLowerCase()];
    if (typeof v === 'string') ctx.set(h, v);
  }
  ctx.type = res.headers['content-type'] ?? 'text/plain; charset=utf-8';
  ctx.body = res;
}

export function logRoutes(router: Router, deps: AppDeps): void {
  router.get('/api/v1/jobs/:id/log', async (ctx) => {
    const range = { offset: parseOffset(ctx.query.offset), length: parseLength(ctx.query.length) };
    const job = await deps.store.getJob(ctx.params.id as string);
    const here = ctx.query.local === 'true' || job.node === deps.node || job.node === '*';
    if (here) await serveLocal(ctx, deps, job, range);
    else await proxy(ctx, deps, job, range);
  });
}
