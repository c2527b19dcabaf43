/**
 * One tree, live (useLiveTree): nested jobs (JobRow), aborts with a
 * confirmation, pause and resume, a search by title, the context, the
 * timeline, all its logs in one live stream (SPEC §19), the log panel of a
 * chosen job, and the tree's failure handlers below it (SPEC §15).
 */
import { useEffect, useState } from 'preact/hooks';
import type { NestedJob } from '../../shared/types.js';
import { api } from '../api.js';
import { clock, duration } from '../format.js';
import { useLiveTree } from '../live-tree.js';
import { HandlersSection } from './handlers-section.js';
import { JobRow, confirmAbort, openLog } from './job-row.js';
import { LogPanel } from './log-panel.js';
import { StateBadge } from './state-badge.js';
import { Timeline } from './timeline.js';
import { TreeSearch } from './tree-search.js';
import { Alert } from './alert.js';
import { AllLogs } from './all-logs.js';

export function TreeView(props: {
  root: string;
  logJob: string | null;
  /** Open the job's log at this byte offset (a line of All logs, a search match). */
  logAt: string | null;
  /** Start on the All logs tab. */
  allLogs: boolean;
}) {
  const { tree: t, error, setError, redraw } = useLiveTree(props.root);
  const [now, setNow] = useState(Date.now());
  const [tab, setTab] = useState<'jobs' | 'timeline' | 'logs'>(props.allLogs ? 'logs' : 'jobs');
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, []);

  if (!t) {
    return error ? <Alert message={error} /> : <p class="loading">Loading tree {props.root}…</p>;
  }
  const view = t.view;
  const running = view.state === 'RUNNING';
  return (
    <section class={`tree-page ${props.logJob ? 'with-log' : ''}`} aria-labelledby="tree-title">
      <div class="tree-pane">
        <p>
          <a href="#/">← Trees</a>
        </p>
        <h1 id="tree-title">
          <StateBadge state={view.state} paused={view.paused} /> {view.job.title}
        </h1>
        <p class="meta">
          {Object.entries(view.tags).map(([k, v]) => (
            <a class="tag" href={`#/?tag=${encodeURIComponent(`${k}:${v}`)}`}>
              {k}:{v}
            </a>
          ))}{' '}
          created {clock(view.job.createdAt)}
          {view.job.finishedAt !== undefined && !running
            ? `, took ${duration(view.job.finishedAt - view.job.createdAt)}`
            : running
              ? `, running for ${duration(now - view.job.createdAt)}`
              : ''}{' '}
          · seq {t.seq}
          {view.handlerOf !== undefined && (
            <>
              {' · handles '}
              <a href={`#/trees/${view.handlerOf}`}>tree {view.handlerOf}</a>
              {view.outcome?.failed ? ` (${view.outcome.state}: ${view.outcome.failed.title})` : ''}
            </>
          )}
        </p>
        <div class="toolbar">
          {running && (
            <button
              type="button"
              class="danger"
              onClick={() =>
                void confirmAbort('the whole tree', () => api.abortTree(view.root), setError)
              }
            >
              Abort tree
            </button>
          )}
          {running && (
            <button
              type="button"
              onClick={() =>
                void api.setPaused(view.root, !view.paused).then(
                  (res) => {
                    view.paused = res.paused;
                    redraw();
                  },
                  (err: Error) => setError(err.message),
                )
              }
            >
              {view.paused ? 'Resume tree' : 'Pause tree'}
            </button>
          )}
          <div role="tablist" aria-label="Tree views">
            {(['jobs', 'timeline', 'logs'] as const).map((name) => (
              <button
                type="button"
                role="tab"
                aria-selected={tab === name}
                onClick={() => setTab(name)}
              >
                {{ jobs: 'Jobs', timeline: 'Timeline', logs: 'All logs' }[name]}
              </button>
            ))}
          </div>
        </div>
        <Alert message={error} />
        <TreeSearch root={view.root} onError={setError} />
        <details class="context">
          <summary>Context</summary>
          <pre>{JSON.stringify(view.context, null, 2)}</pre>
        </details>
        {tab === 'jobs' ? (
          <ul class="jobs" aria-label="Jobs">
            <JobRow
              job={view.job}
              root={view.root}
              now={now}
              selected={props.logJob}
              onError={setError}
              // SPEC §17: a paged tree's subtrees start folded, showing their counts
              startOpen={(_job, depth) => !t.partial || depth === 0}
              onMore={async (job) => {
                // SPEC §17: the next page joins the live tree, so its jobs follow events too
                try {
                  const page = await api.children(view.root, job.id, job.next ?? '0');
                  for (const c of page.jobs) t.jobs.set(c.id, c);
                  job.children.push(...page.jobs);
                  job.next = page.next;
                  redraw();
                } catch (err) {
                  setError((err as Error).message);
                }
              }}
            />
          </ul>
        ) : tab === 'timeline' ? (
          <Timeline tree={t} now={now} onPick={(id) => openLog(view.root, id)} />
        ) : (
          <AllLogs scope={{ root: view.root }} />
        )}
        <HandlersSection owner={t} now={now} redraw={redraw} onError={setError} />
      </div>
      {props.logJob && t.jobs.has(props.logJob) && (
        <LogPanel
          key={`${props.logJob}@${props.logAt ?? ''}`}
          job={t.jobs.get(props.logJob) as NestedJob}
          {...(props.logAt !== null && /^\d{1,15}$/.test(props.logAt)
            ? { at: Number(props.logAt) }
            : {})}
          onClose={() => openLog(view.root, null)}
        />
      )}
    </section>
  );
}
