/**
 * `jobtree logs` (SPEC §19): the merged tail of a tree, a tag query or a
 * node, printed or followed; and `jobtree logs search`, the matches of the
 * log search. Both print a line as stern does.
 */
import { io, type Socket } from 'socket.io-client';
import { TailReader, type TailFromView, type TailLineView } from '../../jobtree/live-tail.js';
import type { ClientToServer, ServerToClient } from '../../logstream/events.js';
import { type ApiClient, CliError, EXIT } from '../client.js';
import { visibleControls } from '../visible.js';

export interface LogsOptions {
  tag?: string[];
  node?: string;
  job?: string[];
  source?: string[];
  grep?: string;
  tail?: string;
  since?: string;
  follow?: boolean;
  json?: boolean;
  raw?: boolean;
}

const SOURCES = ['agent', 'job', 'stdout', 'stderr', 'file'];
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

/** `--since 10m`: the duration in ms (s, m, h, d). */
function parseSince(raw: string): number {
  const m = /^(\d{1,9})(s|m|h|d)$/.exec(raw);
  if (!m)
    throw new CliError(
      `--since wants a duration like 30s, 10m, 2h or 1d, got "${raw}"`,
      EXIT.USAGE,
    );
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's'];
}

function tagObject(tags: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of tagQuery(tags).getAll('tag')) {
    const i = pair.indexOf(':');
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** The merged tail the command asks for (SPEC §19), from its options. */
function tailRequest(root: string | undefined, opts: LogsOptions) {
  const tags = opts.tag ?? [];
  if (root === undefined && tags.length === 0 && opts.node === undefined)
    throw new CliError('name a tree, or --tag key=value, or --node NAME', EXIT.USAGE);
  for (const s of opts.source ?? []) {
    if (!SOURCES.includes(s))
      throw new CliError(`--source wants one of ${SOURCES.join(', ')}, got "${s}"`, EXIT.USAGE);
  }
  const tail = opts.tail === undefined ? undefined : Number(opts.tail);
  if (tail !== undefined && !(Number.isSafeInteger(tail) && tail > 0 && tail <= 10_000))
    throw new CliError(
      `--tail wants a number of lines (1 to 10000), got "${opts.tail}"`,
      EXIT.USAGE,
    );
  const since = opts.since === undefined ? undefined : Date.now() - parseSince(opts.since);
  const scope =
    root !== undefined
      ? { root }
      : tags.length > 0
        ? { tags: tagObject(tags) }
        : { node: opts.node };
  // --since reads what there is (a tree from its start) and keeps the lines since then
  const from: TailFromView | undefined =
    tail !== undefined
      ? { lines: tail }
      : since === undefined
        ? undefined
        : root
          ? 'start'
          : { lines: 10_000 };
  const filter = {
    ...(opts.job ? { jobs: opts.job } : {}),
    ...(opts.source ? { sources: opts.source } : {}),
    ...(opts.grep !== undefined ? { text: opts.grep } : {}),
    ...(opts.node !== undefined && !('node' in scope) ? { nodes: [opts.node] } : {}),
  };
  return { scope, from, filter, since };
}

const ERROR_EXIT: Record<string, number> = {
  NOT_FOUND: EXIT.NOT_FOUND,
  BAD_REQUEST: EXIT.USAGE,
  FORBIDDEN: EXIT.USAGE,
};

/**
 * `jobtree logs ROOT | --tag k=v... | --node N [-f] [--since D | --tail N]
 * [--job ID]... [--source S]... [--grep TEXT] [--json]` (SPEC §19): the
 * merged tail of a tree, a tag query or a node, from any agent, each line
 * prefixed with its job's title and node as stern does (a colour per job
 * on a terminal). Without -f it prints what there is and exits; with -f
 * it goes on (a tree's until it has ended), and after a dropped
 * connection resubscribes after the last line it printed of each job.
 */
export function logs(
  client: ApiClient,
  root: string | undefined,
  opts: LogsOptions,
  out: { print(text: string): void; warn(text: string): void; isTTY: boolean },
): Promise<number> {
  const { scope, from, filter, since } = tailRequest(root, opts);
  const reader = new TailReader();
  const sub = 'cli';
  return new Promise((resolve) => {
    const socket: Socket<ServerToClient, ClientToServer> = io(client.server, {
      auth: client.token ? { token: client.token } : {},
      transports: ['websocket'],
      reconnectionDelayMax: 2000,
    });
    let connected = false;
    const finish = (code: number, message?: string): void => {
      if (message) out.warn(message);
      socket.close();
      resolve(code);
    };
    socket.on('connect', () => {
      const again = connected;
      connected = true;
      socket.emit('logs:subscribe', {
        sub,
        scope,
        ...(again ? { from: reader.resumeFrom(from) } : from !== undefined ? { from } : {}),
        filter,
      });
    });
    socket.on('connect_error', (err) => {
      if (err.message === 'UNAUTHORIZED') finish(EXIT.USAGE, 'the server refused the token');
      else if (!connected)
        finish(EXIT.UNREACHABLE, `cannot reach ${client.server}: ${err.message}`);
    });
    socket.on('logs:data', (m) => {
      if (m.sub !== sub) return;
      for (const l of reader.take(m.lines)) {
        if (since !== undefined && Date.parse(l.at) < since) continue;
        if (opts.json) out.print(JSON.stringify(l));
        else out.print(stern(l, reader.rank(l.job), out.isTTY, opts.raw === true));
      }
      if (m.ready && !opts.follow) finish(EXIT.OK);
    });
    socket.on('logs:end', (m) => {
      if (m.sub === sub) finish(EXIT.OK);
    });
    socket.on('logs:error', (m) => {
      if (m.sub !== sub) return;
      // one node that cannot be read is said, and the others go on
      if (m.node !== undefined) return out.warn(`node ${m.node}: ${m.code}: ${m.message}`);
      finish(ERROR_EXIT[m.code] ?? EXIT.UNREACHABLE, `${m.code}: ${m.message}`);
    });
  });
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

/** A search match has a tail line's fields (SPEC §19). */
type Match = TailLineView;

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
