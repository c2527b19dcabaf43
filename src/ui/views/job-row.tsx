/**
 * One job of a tree page and, nested, its children: state, type and node,
 * the try it is on (SPEC §14), duration, summary or error; its log, its
 * result on demand, and an abort with a confirmation. A job with children
 * folds (SPEC §17: a big tree's subtrees start folded, with their counts),
 * and its children are drawn a block at a time as they scroll into view.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { countsText } from '../../shared/counts.js';
import type { NestedJob } from '../../shared/types.js';
import { api } from '../api.js';
import { clock, duration, runTime } from '../format.js';
import { isTerminal } from '../../jobtree/states.js';
import { StateBadge } from './state-badge.js';

export function openLog(root: string, job: string | null): void {
  location.hash = job ? `#/trees/${root}?log=${job}` : `#/trees/${root}`;
}

export async function confirmAbort(
  what: string,
  abort: () => Promise<unknown>,
  fail: (m: string) => void,
) {
  if (!confirm(`Abort ${what}? Running jobs are stopped and waiting ones never start.`)) return;
  try {
    await abort();
  } catch (err) {
    fail((err as Error).message);
  }
}

export function JobRow(props: {
  job: NestedJob;
  root: string;
  now: number;
  selected: string | null;
  onError: (m: string) => void;
  /** SPEC §17: fetch the next page of a job's children (a paged tree), when the page can. */
  onMore?: (job: NestedJob) => Promise<void>;
  /** The root is 0. */
  depth?: number;
  /** Whether a job's children show before a click (true unless said otherwise). */
  startOpen?: (job: NestedJob, depth: number) => boolean;
}) {
  const { job, now } = props;
  const depth = props.depth ?? 0;
  const [result, setResult] = useState<string | null>(null);
  const hasChildren = job.children.length > 0 || (job.childCount ?? 0) > 0;
  const [open, setOpen] = useState(() => props.startOpen?.(job, depth) ?? true);
  const toggle = () => {
    // a folded job of a paged tree may have no page of children yet: opening it fetches one
    if (!open && job.children.length === 0 && job.next && props.onMore) void props.onMore(job);
    setOpen(!open);
  };
  const ran = runTime(job, now);
  const showResult = async () => {
    const full = await api.job(job.id);
    setResult(JSON.stringify(full.result ?? null, null, 2));
  };
  return (
    <li class={`job ${props.selected === job.id ? 'selected' : ''}`} data-job={job.id}>
      <div class="row">
        {hasChildren ? (
          <button
            type="button"
            class="fold"
            aria-expanded={open}
            aria-label={`${open ? 'Fold' : 'Unfold'} ${job.title}`}
            onClick={toggle}
          >
            {open ? '▾' : '▸'}
          </button>
        ) : (
          <span class="fold" />
        )}
        <StateBadge state={job.state} />
        <span class="title">{job.title}</span>
        <span class="meta">
          {job.type} on <span class="node">{job.node}</span>
        </span>
        {job.counts && (job.childCount ?? 0) > 0 && (
          <span class="meta subtree-counts" title="this job and every job under it">
            {(job.childCount ?? 0).toLocaleString()} children · {countsText(job.counts)}
          </span>
        )}
        {job.tries !== undefined && (job.attempt ?? 1) > 1 && (
          <span
            class="attempt"
            title={
              job.runAt ? `next try at ${clock(job.runAt)}` : `try ${job.attempt} of ${job.tries}`
            }
          >
            attempt {job.attempt}/{job.tries}
            {job.runAt !== undefined && job.state === 'QUEUED'
              ? ` · retry at ${clock(job.runAt)}`
              : ''}
          </span>
        )}
        <span
          class="duration"
          title={job.startedAt ? `started ${clock(job.startedAt)}` : 'not started'}
        >
          {ran === null ? '' : duration(ran)}
        </span>
        <span class="actions">
          <button
            type="button"
            onClick={() => openLog(props.root, job.id)}
            aria-label={`Log of ${job.title}`}
          >
            Log
          </button>
          {isTerminal(job.state) && (
            <button
              type="button"
              onClick={() => void showResult()}
              aria-label={`Result of ${job.title}`}
            >
              Result
            </button>
          )}
          {!isTerminal(job.state) && (
            <button
              type="button"
              class="danger"
              aria-label={`Abort ${job.title}`}
              onClick={() =>
                void confirmAbort(`job "${job.title}"`, () => api.abortJob(job.id), props.onError)
              }
            >
              Abort
            </button>
          )}
        </span>
      </div>
      {job.summary && <div class="summary">{job.summary}</div>}
      {job.error && (
        <div class="job-error">
          {job.error.code}: {job.error.message}
        </div>
      )}
      {result !== null && (
        <details open class="result">
          <summary>Result</summary>
          <pre>{result}</pre>
        </details>
      )}
      {open && job.children.length > 0 && (
        <ul>
          <ChildBlocks count={job.children.length}>
            {(from, to) =>
              job.children
                .slice(from, to)
                .map((c) => <JobRow key={c.id} {...props} job={c} depth={depth + 1} />)
            }
          </ChildBlocks>
        </ul>
      )}
      {open && <MoreChildren job={job} {...(props.onMore ? { onMore: props.onMore } : {})} />}
    </li>
  );
}

/** Rows drawn at a time; a block further down waits until it nears the viewport. */
const BLOCK = 100;
/** A row's height before it is drawn, for the space a waiting block keeps. */
const ROW_EM = 2.1;

/**
 * Children in blocks of BLOCK: the first drawn at once, each next one when
 * its placeholder (as tall as its rows would be) scrolls near the viewport.
 * A drawn block stays drawn, so live updates and the scroll stay put.
 */
function ChildBlocks(props: { count: number; children: (from: number, to: number) => unknown }) {
  const [drawn, setDrawn] = useState(1);
  const placeholder = useRef<HTMLLIElement>(null);
  const blocks = Math.ceil(props.count / BLOCK);
  useEffect(() => {
    const el = placeholder.current;
    if (!el || drawn >= blocks) return;
    const seen = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) setDrawn((d) => d + 1);
      },
      { rootMargin: '800px 0px' },
    );
    seen.observe(el);
    return () => seen.disconnect();
  }, [drawn, blocks]);
  const shown = Math.min(props.count, drawn * BLOCK);
  return (
    <>
      {props.children(0, shown)}
      {shown < props.count && (
        <li
          ref={placeholder}
          class="rows-waiting"
          aria-hidden="true"
          style={{ height: `${(props.count - shown) * ROW_EM}em` }}
        />
      )}
    </>
  );
}

/** "2,400 more children — subtree: QUEUED 2,390, SUCCESS 11" and a button for the next page (SPEC §17). */
function MoreChildren(props: { job: NestedJob; onMore?: (job: NestedJob) => Promise<void> }) {
  const { job } = props;
  const [busy, setBusy] = useState(false);
  if (job.next === undefined || job.next === null) return null;
  const more = (job.childCount ?? 0) - job.children.length;
  const counts = countsText(job.counts ?? {});
  return (
    <div class="more-children">
      <span class="meta">
        {more.toLocaleString()} more {more === 1 ? 'child' : 'children'}
        {counts ? ` — subtree: ${counts}` : ''}
      </span>
      {props.onMore && (
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            void props.onMore!(job).finally(() => setBusy(false));
          }}
        >
          Show {Math.min(more, 1000).toLocaleString()} more
        </button>
      )}
    </div>
  );
}
