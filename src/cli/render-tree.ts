/**
 * Renders a tree answer as ASCII for `jobtree show` (state, node, duration,
 * summary or error per job) and a listing as a table for `jobtree ls`.
 */
import { visibleControls } from './visible.js';
import { countsText } from '../shared/counts.js';
import type { NestedJob, TreeSummary, TreeView } from '../shared/types.js';

const MARK: Record<string, string> = {
  WAITING: '·',
  QUEUED: '○',
  RUNNING: '▶',
  SUCCESS: '✔',
  FAILED: '✘',
  ABORTED: '■',
};

/** "1.2s", "340ms", "2m05s"; running jobs count up to `now`. */
export function formatDuration(
  job: Pick<NestedJob, 'startedAt' | 'finishedAt'>,
  now: number,
): string {
  if (job.startedAt === undefined) return '';
  const ms = (job.finishedAt ?? now) - job.startedAt;
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

function line(job: NestedJob, now: number): string {
  const parts = [`${MARK[job.state] ?? '?'} ${job.title}`, `[${job.state}]`, `@${job.node}`];
  // SPEC §14: a job tried again says which try this is, and when the next one comes
  if (job.tries !== undefined && (job.attempt ?? 1) > 1) {
    const wait = job.runAt !== undefined ? `, retry at ${new Date(job.runAt).toISOString()}` : '';
    parts.push(`(attempt ${job.attempt}/${job.tries}${wait})`);
  }
  const d = formatDuration(job, now);
  if (d) parts.push(d);
  if (job.error) parts.push(`— ${job.error.code}: ${job.error.message}`);
  else if (job.summary) parts.push(`— ${job.summary}`);
  return parts.join(' ');
}

/** "… 2,497 more jobs (QUEUED 2,400, SUCCESS 97)" for a job whose children are not all listed (SPEC §17). */
function foldedLine(job: NestedJob): string | null {
  if (job.next === undefined || job.next === null) return null;
  const more = (job.childCount ?? 0) - job.children.length;
  const counts = countsText(job.counts ?? {});
  const what = `${more.toLocaleString('en-US')} more ${more === 1 ? 'child' : 'children'}`;
  return `… ${what}${counts ? ` (subtree: ${counts})` : ''}; --all shows them`;
}

/** A job and its subtree as indented lines, the job first; big subtrees folded. */
function jobLines(root: NestedJob, now: number, indent = ''): string[] {
  const out: string[] = [];
  const walk = (job: NestedJob, prefix: string, last: boolean, top: boolean): void => {
    out.push(top ? line(job, now) : `${prefix}${last ? '└─ ' : '├─ '}${line(job, now)}`);
    const childPrefix = top ? '' : `${prefix}${last ? '   ' : '│  '}`;
    const folded = foldedLine(job);
    job.children.forEach((c, i) =>
      walk(c, childPrefix, i === job.children.length - 1 && folded === null, false),
    );
    if (folded !== null) out.push(`${childPrefix}└─ ${folded}`);
  };
  walk(root, '', true, true);
  return out.map((l) => indent + l);
}

/** What a handler tree was told of the tree it handles (SPEC §15). */
function outcomeLine(tree: TreeView): string {
  const failed = tree.outcome?.failed;
  const why = failed
    ? `: ${failed.title}${failed.error ? ` — ${failed.error.code}: ${failed.error.message}` : ''}`
    : '';
  return `handles tree ${tree.handlerOf} (${tree.outcome?.state ?? '?'}${why})`;
}

/**
 * The tree as indented lines, root first; with its handler tree (SPEC §15,
 * `handlers`, when it has started) below, or the handlers' state.
 */
export function renderTree(tree: TreeView, now = Date.now(), handlers?: TreeView): string {
  const out = [
    `tree ${tree.root} ${stateOf(tree)}${Object.keys(tree.tags).length ? ` ${formatTags(tree.tags)}` : ''}`,
  ];
  if (tree.handlerOf !== undefined) out.push(outcomeLine(tree));
  out.push(...jobLines(tree.job, now));
  if (tree.handlers) {
    const { root, state } = tree.handlers;
    const when = state === 'PENDING' ? ' (run if the tree fails or is aborted)' : '';
    out.push('', `handlers ${root} ${state}${when}`);
    if (handlers) out.push(...jobLines(handlers.job, now, '  '));
  }
  return visibleControls(out.join('\n')); // titles, summaries and errors are users' text (SPEC §18)
}

/** The tree's state, with "(paused)" while a running tree is paused. */
function stateOf(t: { state: string; paused?: boolean }): string {
  return t.paused ? `${t.state} (paused)` : t.state;
}

export function formatTags(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The listing as aligned columns. */
export function renderList(trees: TreeSummary[]): string {
  const rows = [['ROOT', 'STATE', 'CREATED', 'JOBS', 'TITLE', 'TAGS']];
  for (const t of trees) {
    const total = Object.values(t.counts).reduce((a, b) => a + (b ?? 0), 0);
    rows.push([
      t.root,
      stateOf(t),
      new Date(t.createdAt).toISOString(),
      String(total),
      t.title,
      formatTags(t.tags),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}
