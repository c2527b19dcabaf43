/**
 * One job of a tree page and, nested, its children: state, type and node,
 * the try it is on (SPEC §14), duration, summary or error; its log, its
 * result on demand, and an abort with a confirmation.
 */
import { useState } from 'preact/hooks';
import type { NestedJob } from '../../shared/types.js';
import { api } from '../api.js';
import { clock, duration, runTime } from '../format.js';
import { TERMINAL } from '../live-tree.js';
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
}) {
  const { job, now } = props;
  const [result, setResult] = useState<string | null>(null);
  const ran = runTime(job, now);
  const showResult = async () => {
    const full = await api.job(job.id);
    setResult(JSON.stringify(full.result ?? null, null, 2));
  };
  return (
    <li class={`job ${props.selected === job.id ? 'selected' : ''}`} data-job={job.id}>
      <div class="row">
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
          {TERMINAL.has(job.state) && (
            <button
              type="button"
              onClick={() => void showResult()}
              aria-label={`Result of ${job.title}`}
            >
              Result
            </button>
          )}
          {!TERMINAL.has(job.state) && (
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
      {job.children.length > 0 && (
        <ul>
          {job.children.map((c) => (
            <JobRow key={c.id} {...props} job={c} />
          ))}
        </ul>
      )}
      <MoreChildren job={job} {...(props.onMore ? { onMore: props.onMore } : {})} />
    </li>
  );
}

/** "QUEUED 2,390, SUCCESS 11": the states a subtree holds, none left out but the empty ones. */
function countsText(counts: NonNullable<NestedJob['counts']>): string {
  return Object.entries(counts)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([s, n]) => `${s} ${(n ?? 0).toLocaleString()}`)
    .join(', ');
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
