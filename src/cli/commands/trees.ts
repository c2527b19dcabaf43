/**
 * The client commands on trees: submit, ls, show, abort, pause, resume,
 * nodes (SPEC §8).
 * Each prints for a person, or JSON with --json, and returns an exit code.
 */
import { readFileSync } from 'node:fs';
import type { NodeView, TreeSummary, TreeView } from '../../shared/types.js';
import { LIMITS } from '../../jobtree/limits.js';
import type { ApiClient } from '../client.js';
import { CliError, EXIT } from '../client.js';
import { renderList, renderTree } from '../render-tree.js';
import { formatLoadErrors, formatTable } from '../table.js';
import { followTree, type Screen } from './follow-tree.js';

export type Print = (text: string) => void;

function readSpec(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.USAGE);
  }
}

function exitFor(state: string): number {
  return state === 'SUCCESS' || state === 'RUNNING' ? EXIT.OK : EXIT.TREE_FAILED;
}

export async function submit(
  client: ApiClient,
  file: string,
  opts: { wait?: boolean; follow?: boolean; timeout?: string; json?: boolean },
  print: Print,
  screen?: Screen,
): Promise<number> {
  const text = readSpec(file);
  try {
    JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not JSON: ${(err as Error).message}`, EXIT.USAGE);
  }
  if (opts.follow && screen) {
    const res = await client.call<{ root: string; jobs: unknown[] }>('POST', '/api/v1/trees', text);
    print(`${res.root}\t${res.jobs.length} jobs submitted`);
    return followTree(client, res.root, screen);
  }
  if (!opts.wait) {
    const res = await client.call<{ root: string; jobs: unknown[] }>('POST', '/api/v1/trees', text);
    print(opts.json ? JSON.stringify(res) : `${res.root}\t${res.jobs.length} jobs submitted`);
    return EXIT.OK;
  }
  const timeout = opts.timeout ?? '3600';
  const tree = await client.call<TreeView>(
    'POST',
    `/api/v1/trees?wait=true&timeout=${encodeURIComponent(timeout)}`,
    text,
  );
  print(opts.json ? JSON.stringify(tree) : renderTree(tree));
  return exitFor(tree.state);
}

export async function list(
  client: ApiClient,
  opts: { tag?: string[]; state?: string; limit?: string; cursor?: string; json?: boolean },
  print: Print,
): Promise<number> {
  const q = new URLSearchParams();
  for (const t of opts.tag ?? []) {
    const i = t.indexOf('=');
    if (i < 1) throw new CliError(`--tag wants key=value, got "${t}"`, EXIT.USAGE);
    q.append('tag', `${t.slice(0, i)}:${t.slice(i + 1)}`);
  }
  if (opts.state) q.set('state', opts.state.toUpperCase());
  q.set('limit', opts.limit ?? '50');
  if (opts.cursor) q.set('cursor', opts.cursor);
  const res = await client.call<{ trees: TreeSummary[]; next: string | null }>(
    'GET',
    `/api/v1/trees?${q}`,
  );
  if (opts.json) print(JSON.stringify(res));
  else {
    print(renderList(res.trees));
    if (res.next) print(`more: add --cursor ${res.next}`);
  }
  return EXIT.OK;
}

export async function show(
  client: ApiClient,
  root: string,
  opts: { json?: boolean; follow?: boolean; all?: boolean },
  print: Print,
  screen?: Screen,
): Promise<number> {
  // SPEC §17: a big tree comes folded (depth 1, 1,000 children a job) unless --all
  const all = opts.all ? `?depth=${LIMITS.maxDepth}&limit=${LIMITS.maxJobs}` : '';
  const tree = await client.call<TreeView>(
    'GET',
    `/api/v1/trees/${encodeURIComponent(root)}${all}`,
  );
  if (opts.follow && screen) return followTree(client, root, screen);
  if (opts.json) {
    print(JSON.stringify(tree));
    return EXIT.OK;
  }
  const h = tree.handlers;
  const started = h !== undefined && h.state !== 'PENDING' && h.state !== 'SKIPPED';
  const handlers = started
    ? await client.call<TreeView>('GET', `/api/v1/trees/${encodeURIComponent(h.root)}`)
    : undefined;
  print(renderTree(tree, Date.now(), handlers));
  return EXIT.OK;
}

/** Aborts the tree of job `id`; `handlers: false` skips its failure handlers (SPEC §15). */
export async function abort(
  client: ApiClient,
  id: string,
  opts: { handlers?: boolean },
  print: Print,
): Promise<number> {
  const q = opts.handlers === false ? '?handlers=false' : '';
  const res = await client.call<{ root: string }>(
    'POST',
    `/api/v1/jobs/${encodeURIComponent(id)}/abort${q}`,
  );
  print(`aborting tree ${res.root}${q ? ' without its failure handlers' : ''}`);
  return EXIT.OK;
}

/** Pauses or resumes the tree of job `id` (a root or any of its jobs). */
export async function setPaused(
  client: ApiClient,
  id: string,
  paused: boolean,
  print: Print,
): Promise<number> {
  const job = await client.call<{ root: string }>('GET', `/api/v1/jobs/${encodeURIComponent(id)}`);
  const res = await client.call<{ root: string; changed: boolean }>(
    'POST',
    `/api/v1/trees/${encodeURIComponent(job.root)}/${paused ? 'pause' : 'resume'}`,
  );
  const what = paused ? 'paused' : 'running';
  print(res.changed ? `tree ${res.root} is ${what} now` : `tree ${res.root} was ${what} already`);
  return EXIT.OK;
}

export async function nodes(
  client: ApiClient,
  opts: { json?: boolean },
  print: Print,
): Promise<number> {
  const res = await client.call<{ nodes: NodeView[] }>('GET', '/api/v1/nodes');
  if (opts.json) {
    print(JSON.stringify(res));
    return EXIT.OK;
  }
  const rows = [
    [
      'NODE',
      'ALIVE',
      'STATE',
      'HEARTBEAT',
      'RUNNING',
      'QUEUED',
      'SLOTS',
      'FREE',
      'VERSION',
      'URL',
      'TYPES',
    ],
  ];
  const errors: string[] = [];
  for (const n of res.nodes) {
    const age = n.heartbeatAgeMs === null ? '-' : `${(n.heartbeatAgeMs / 1000).toFixed(1)}s ago`;
    const types = Object.entries(n.typeVersions ?? {}).map(([name, t]) => {
      if (t.error !== undefined) errors.push(`${n.name}: ${name}: ${t.error}`);
      if (t.source === 'builtin') return name;
      return t.version === undefined ? `${name}(failed)` : `${name}@${t.version}`;
    });
    rows.push([
      n.name,
      n.alive ? 'yes' : 'NO',
      n.state,
      age,
      String(n.running),
      String(n.queued),
      String(n.concurrency),
      String(n.free),
      n.version,
      n.url,
      (types.length > 0 ? types : n.types).join(','),
    ]);
  }
  print(formatTable(rows));
  const loadErrors = formatLoadErrors(errors);
  if (loadErrors) print(loadErrors);
  return EXIT.OK;
}

/** `jobtree drain [NODE]` / `undrain` (SPEC §16); NODE defaults to the server's own node. */
export async function setDrain(
  client: ApiClient,
  node: string | undefined,
  drain: boolean,
  print: Print,
): Promise<number> {
  const name = node ?? (await client.call<{ node: string }>('GET', '/api/v1/health')).node;
  const res = await client.call<{ node: string; state: string }>(
    'POST',
    `/api/v1/nodes/${encodeURIComponent(name)}/${drain ? 'drain' : 'undrain'}`,
  );
  print(`${res.node}: ${res.state}`);
  return EXIT.OK;
}
