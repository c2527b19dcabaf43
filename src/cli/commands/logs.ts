/**
 * `jobtree logs ROOT | --tag k=v... [--job ID]... [--source S]... [--grep
 * TEXT] [--tail N] [--json]` (SPEC §19, the reads; following live waits
 * for the merged tail): every log line of a tree, or of every tree a tag
 * query names, from whichever node ran each job, merged by time, each
 * prefixed with its job's title and node as stern does (a colour per job
 * on a terminal). Logs are read through the API, a few jobs at a time.
 */
import { isTerminal } from '../../jobtree/states.js';
import { Semaphore } from '../../shared/semaphore.js';
import type { NestedJob, TreeSummary, TreeView } from '../../shared/types.js';
import { type ApiClient, CliError, EXIT } from '../client.js';
import { visibleControls } from '../visible.js';

export interface LogsOptions {
  tag?: string[];
  job?: string[];
  source?: string[];
  grep?: string;
  tail?: string;
  json?: boolean;
  raw?: boolean;
}

/** One line of a job's log, where it is and whose it is. */
interface Line {
  at: string;
  root: string;
  job: string;
  title: string;
  node: string;
  source: string;
  text: string;
  /** The byte offset of the line in its job's log. */
  offset: number;
  /** The job's place among the jobs read: orders lines of one instant. */
  rank: number;
}

const SOURCES = ['agent', 'job', 'stdout', 'stderr', 'file'];
const LINE_RE = /^(\S+) (agent|job|stdout|stderr|file) (.*)$/;
/** Logs read at once. */
const READS_AT_ONCE = 8;
/** Colours of the prefixes on a terminal, one per job in turn. */
const COLOURS = [36, 33, 35, 32, 34, 31, 96, 93, 95, 92, 94, 91];

/**
 * A line as stern prints it: `title@node | source text`, the prefix in the
 * job's colour on a terminal, the text's control characters visible unless raw.
 */
function stern(
  l: { title: string; node: string; source: string; text: string },
  rank: number,
  tty: boolean,
  raw: boolean,
): string {
  const prefix = `${visibleControls(l.title)}@${l.node}`;
  const colour = COLOURS[rank % COLOURS.length];
  const text = raw ? l.text : visibleControls(l.text);
  return `${tty ? `\x1b[${colour}m${prefix}\x1b[0m` : prefix} | ${l.source} ${text}`;
}

function tagQuery(tags: string[]): URLSearchParams {
  const q = new URLSearchParams();
  for (const t of tags) {
    const i = t.indexOf('=');
    if (i < 1) throw new CliError(`--tag wants key=value, got "${t}"`, EXIT.USAGE);
    q.append('tag', `${t.slice(0, i)}:${t.slice(i + 1)}`);
  }
  return q;
}

/** A logs command reads a named tree or a tag query's trees: one of them is a must. */
function requireScope(root: string | undefined, tags: string[] | undefined): void {
  if (root === undefined && (tags ?? []).length === 0)
    throw new CliError('name a tree, or --tag key=value', EXIT.USAGE);
}

/** The roots the command reads: the one named, or every tree of the tag query. */
async function rootsOf(client: ApiClient, root: string | undefined, tags: string[]) {
  requireScope(root, tags);
  if (root !== undefined) return [root];
  const roots: string[] = [];
  const q = tagQuery(tags);
  q.set('limit', '100');
  for (let cursor: string | null = null; ;) {
    if (cursor) q.set('cursor', cursor);
    const page: { trees: TreeSummary[]; next: string | null } = await client.call(
      'GET',
      `/api/v1/trees?${q}`,
    );
    roots.push(...page.trees.map((t) => t.root));
    cursor = page.next;
    if (!cursor) return roots;
  }
}

function jobsOf(job: NestedJob, into: NestedJob[] = []): NestedJob[] {
  into.push(job);
  for (const c of job.children) jobsOf(c, into);
  return into;
}

/** A job's log as lines; a log its node cannot serve now is said on stderr and skipped. */
async function readLines(
  client: ApiClient,
  root: string,
  job: NestedJob,
  rank: number,
  warn: (text: string) => void,
): Promise<Line[]> {
  let body: string;
  try {
    body = (await client.text(`/api/v1/jobs/${encodeURIComponent(job.id)}/log`)).body;
  } catch (err) {
    if (!(err instanceof CliError) || err.exitCode === EXIT.USAGE) throw err;
    warn(`${job.title}@${job.node}: ${err.message}`);
    return [];
  }
  const lines: Line[] = [];
  let offset = 0;
  for (const raw of body.split('\n')) {
    const size = Buffer.byteLength(raw) + 1;
    const m = LINE_RE.exec(raw);
    if (m) {
      const [, at = '', source = '', text = ''] = m;
      lines.push({
        at,
        root,
        job: job.id,
        title: job.title,
        node: job.node,
        source,
        text,
        offset,
        rank,
      });
    }
    offset += size;
  }
  return lines;
}

export async function logs(
  client: ApiClient,
  root: string | undefined,
  opts: LogsOptions,
  out: { print(text: string): void; warn(text: string): void; isTTY: boolean },
): Promise<number> {
  for (const s of opts.source ?? []) {
    if (!SOURCES.includes(s))
      throw new CliError(`--source wants one of ${SOURCES.join(', ')}, got "${s}"`, EXIT.USAGE);
  }
  const tail = opts.tail === undefined ? undefined : Number(opts.tail);
  if (tail !== undefined && !(Number.isSafeInteger(tail) && tail > 0))
    throw new CliError(`--tail wants a number of lines, got "${opts.tail}"`, EXIT.USAGE);
  const wanted = new Set(opts.job ?? []);
  const jobs: Array<{ root: string; job: NestedJob }> = [];
  for (const r of await rootsOf(client, root, opts.tag ?? [])) {
    const tree = await client.call<TreeView>('GET', `/api/v1/trees/${encodeURIComponent(r)}`);
    for (const job of jobsOf(tree.job)) {
      // a job that never started has no log
      const started = job.state === 'RUNNING' || isTerminal(job.state) || job.attempts;
      if (started && (wanted.size === 0 || wanted.has(job.id))) jobs.push({ root: r, job });
    }
  }
  const reads = new Semaphore(READS_AT_ONCE);
  const perJob = await Promise.all(
    jobs.map(async ({ root: r, job }, rank) => {
      const release = await reads.acquire();
      try {
        return await readLines(client, r, job, rank, out.warn);
      } finally {
        release();
      }
    }),
  );
  const sources = new Set(opts.source ?? []);
  let lines = perJob
    .flat()
    .filter((l) => sources.size === 0 || sources.has(l.source))
    .filter((l) => opts.grep === undefined || l.text.includes(opts.grep));
  // merged by time; one job's lines keep their order (a stable sort), an instant's go by job
  lines.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.rank - b.rank));
  if (tail !== undefined) lines = lines.slice(-tail);
  for (const l of lines) {
    if (opts.json) {
      const { at, root: r, job, title, node, source, text, offset } = l;
      out.print(JSON.stringify({ at, root: r, job, title, node, source, text, offset }));
      continue;
    }
    out.print(stern(l, l.rank, out.isTTY, opts.raw === true));
  }
  return EXIT.OK;
}

export interface SearchOptions {
  tag?: string[];
  q?: string;
  re?: string;
  source?: string[];
  node?: string;
  limit?: string;
  json?: boolean;
  raw?: boolean;
}

interface Match {
  root: string;
  job: string;
  title: string;
  node: string;
  source: string;
  at: string;
  offset: number;
  text: string;
}

/**
 * `jobtree logs search ROOT | --tag k=v... --q TEXT | --re PATTERN`: the
 * matches of GET /api/v1/logs/search, page after page until `--limit`
 * matches or the end, printed as `jobtree logs` prints lines.
 */
export async function searchLogs(
  client: ApiClient,
  root: string | undefined,
  opts: SearchOptions,
  out: { print(text: string): void; isTTY: boolean },
): Promise<number> {
  const limit = Number(opts.limit ?? '100');
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new CliError(`--limit wants a number of matches, got "${opts.limit}"`, EXIT.USAGE);
  requireScope(root, opts.tag);
  const q = root === undefined ? tagQuery(opts.tag ?? []) : new URLSearchParams({ root });
  if (opts.q !== undefined) q.set('q', opts.q);
  if (opts.re !== undefined) q.set('re', opts.re);
  for (const s of opts.source ?? []) q.append('source', s);
  if (opts.node !== undefined) q.set('node', opts.node);
  const jobs: string[] = [];
  let printed = 0;
  for (let cursor: string | null = ''; cursor !== null && printed < limit;) {
    q.set('limit', String(Math.min(1000, limit - printed)));
    if (cursor) q.set('cursor', cursor);
    const page: { matches: Match[]; next: string | null; unavailable: string[] } =
      await client.call('GET', `/api/v1/logs/search?${q}`);
    for (const m of page.matches) {
      if (!jobs.includes(m.job)) jobs.push(m.job);
      printed += 1;
      if (opts.json) {
        out.print(JSON.stringify(m));
        continue;
      }
      out.print(stern(m, jobs.indexOf(m.job), out.isTTY, opts.raw === true));
    }
    // a node that does not answer stays in the cursor: stop rather than ask it for ever
    cursor = page.unavailable.length > 0 && page.matches.length === 0 ? null : page.next;
  }
  return EXIT.OK;
}
