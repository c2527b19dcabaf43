/**
 * A big tree stored in steps (SPEC §17: no script holds Redis for more
 * than a few milliseconds): its jobs staged out of sight, STAGE_CHUNK a
 * script (stageJobs; the staged keys expire unless committed), one short
 * commit with every check of a submission (commitTree), then its jobs
 * announced and its leaves queued a chunk a script (storeMore). A refused
 * commit drops what was staged; the steps after a commit are idempotent,
 * so a caller that dies leaves them to the housekeeper (continueStoring).
 */
import type { PlannedJob } from '../shared/types.js';
import type { NewTree } from './store.js';
import { UnavailableError } from '../shared/errors.js';
import { encodePlanned } from './codec.js';
import { guard, SCRIPT_DONE, scriptError } from './redis-errors.js';
import type { StoreParts } from './script-client.js';

/**
 * Trees of more jobs than this are stored in steps. One script writes
 * 1,500 jobs in ~25 ms; stored in steps, a tree costs Redis about twice the
 * commands, which the bench's 1,111-job tree showed (+40 % Redis CPU).
 */
export const STAGE_ABOVE = 1500;
/** Jobs a stageJobs script writes: ~5 ms here, leaving room under 50 ms on a loaded machine. */
export const STAGE_CHUNK = 250;
/** A children list longer than this (about 1,000 ids) is not parsed by a script. */
const LONG_CHILDREN = 40_000;
/** How long staged jobs wait for their commit before Redis drops them. */
const STAGE_TTL_MS = 24 * 3600 * 1000;

/**
 * What a submission's checks count (includes/submit.lua): the leaves per
 * node, the jobs and leaf slots per pool, and (for commitTree, which never
 * sees the jobs) the totals. Computed here for submitTree and commitTree alike.
 */
export function submissionStats(jobs: PlannedJob[]) {
  const leaves: Record<string, number> = {};
  const pools: Record<string, number> = {};
  const leafPools: Record<string, number> = {};
  let queued = 0;
  for (const j of jobs) {
    if (j.pool !== undefined) pools[j.pool] = (pools[j.pool] ?? 0) + 1;
    if (j.state !== 'QUEUED') continue;
    queued += 1;
    leaves[j.node] = (leaves[j.node] ?? 0) + 1;
    if (j.pool !== undefined) leafPools[j.pool] = (leafPools[j.pool] ?? 0) + (j.poolSlots ?? 1);
  }
  return { total: jobs.length, waiting: jobs.length - queued, queued, leaves, pools, leafPools };
}

/** Stores `t` in steps; answers commitTree's code (1, or a refusal: nothing is left stored). */
export async function submitStaged(
  s: StoreParts,
  t: NewTree,
  tree: Record<string, unknown>,
  run: Record<string, string | number> | undefined,
): Promise<number | [number, string]> {
  const key = s.keys.tree(t.root);
  for (let i = 0; i < t.jobs.length; i += STAGE_CHUNK) {
    // a long children list travels as its own argument: Lua then stores it without parsing it
    const long: Array<string | number> = [];
    const encoded = t.jobs.slice(i, i + STAGE_CHUNK).map((job, k) => {
      const e = encodePlanned(job);
      if (String(e.children).length <= LONG_CHILDREN) return e;
      long.push(k + 1, e.children as string);
      return { ...e, children: '' };
    });
    const first = i === 0 ? '1' : '';
    const code = await guard(
      s.redis.stageJobs(
        key,
        s.prefix,
        t.root,
        t.at,
        JSON.stringify(encoded),
        STAGE_TTL_MS,
        first,
        ...long,
      ),
    );
    if (code !== SCRIPT_DONE.ok) throw scriptError('stageJobs', code, t.root);
  }
  let code: number | [number, string];
  try {
    code = await guard(
      s.redis.commitTree(
        key,
        s.prefix,
        t.root,
        t.at,
        JSON.stringify(tree),
        JSON.stringify(submissionStats(t.jobs)),
        t.maxQueued ?? 0,
        t.admission ?? '',
        run ? JSON.stringify(run) : '',
      ),
    );
  } catch (err) {
    await dropStaged(s, t.root).catch(() => undefined); // else it expires by itself
    throw err;
  }
  if (code !== SCRIPT_DONE.ok) {
    await dropStaged(s, t.root);
    return code;
  }
  try {
    await finishStoring(s, t.root, t.at);
  } catch (err) {
    // committed is accepted: if Redis went away, the housekeeper stores the rest
    if (!(err instanceof UnavailableError)) throw err;
  }
  return code;
}

async function dropStaged(s: StoreParts, root: string): Promise<void> {
  const key = s.keys.tree(root);
  while ((await guard(s.redis.dropStaged(key, s.prefix, root))) === 0);
}

/** Announces a committed tree's jobs and queues its leaves, a chunk a script, to the end. */
export async function finishStoring(s: StoreParts, root: string, at: number): Promise<void> {
  const key = s.keys.tree(root);
  while ((await guard(s.redis.storeMore(key, s.prefix, root, at))) === 0);
}
