/**
 * When each job ran, as a bar per job on one time axis (a Gantt chart):
 * a light segment while queued, a solid one while running. The critical
 * path, the chain of jobs the tree waited for, is outlined.
 */
import {
  attemptBars,
  barOf,
  criticalPath,
  flatten,
  timelineSpan,
  type LiveTree,
} from '../tree-model.js';
import { duration } from '../format.js';

export function Timeline(props: { tree: LiveTree; now: number; onPick: (id: string) => void }) {
  const [t0, t1] = timelineSpan(props.tree, props.now);
  const critical = criticalPath(props.tree.view.job);
  const rows = flatten(props.tree.view.job);
  return (
    <div class="timeline" role="table" aria-label="Timeline">
      <div class="axis" role="row">
        <span role="columnheader">Job</span>
        <span role="columnheader">
          0 — {duration(t1 - t0)} <span class="legend critical">critical path</span>
        </span>
      </div>
      {rows.map(({ job, depth }) => {
        const bar = barOf(job, t0, t1, props.now);
        return (
          <div role="row" class={`tl-row ${critical.has(job.id) ? 'critical' : ''}`} key={job.id}>
            <span role="cell" class="tl-name" style={{ paddingLeft: `${depth}em` }}>
              <button
                type="button"
                onClick={() => props.onPick(job.id)}
                title={`${job.title}: open its log`}
              >
                {job.title}
              </button>
            </span>
            <span role="cell" class="tl-track">
              {attemptBars(job, t0, t1).map((b, i) => (
                <span
                  key={i}
                  class="tl-bar tl-attempt state-FAILED"
                  style={{ left: `${b.left}%`, width: `${b.width}%` }}
                  title={`attempt ${i + 1} failed: ${job.attempts?.[i]?.error.code ?? ''}`}
                />
              ))}
              {bar && (
                <>
                  <span
                    class="tl-queued"
                    style={{ left: `${bar.queuedLeft}%`, width: `${bar.queuedWidth}%` }}
                  />
                  <span
                    class={`tl-bar state-${job.state}`}
                    style={{ left: `${bar.left}%`, width: `${bar.width}%` }}
                    title={`${job.state}${job.startedAt ? `, ran ${duration((job.finishedAt ?? props.now) - job.startedAt)}` : ''}`}
                  />
                </>
              )}
            </span>
          </div>
        );
      })}
    </div>
  );
}
