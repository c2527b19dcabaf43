/**
 * When each job ran, as a bar per job on one time axis (a Gantt chart):
 * a light segment while queued, a solid one while running. The critical
 * path, the chain of jobs the tree waited for, is outlined. The children of
 * a big job are one aggregated row (SPEC §17), shown one by one on a click.
 */
import { useState } from 'preact/hooks';
import {
  attemptBars,
  barOf,
  criticalPath,
  timelineRows,
  timelineSpan,
  type TimelineRow,
} from '../tree-model.js';
import type { LiveTree } from '../../jobtree/live-tree.js';
import { duration } from '../format.js';
import { countsText } from '../../shared/counts.js';

export function Timeline(props: { tree: LiveTree; now: number; onPick: (id: string) => void }) {
  const [t0, t1] = timelineSpan(props.tree, props.now);
  const critical = criticalPath(props.tree.view.job);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const rows = timelineRows(props.tree.view.job, props.now, expanded);
  return (
    <div class="timeline" role="table" aria-label="Timeline">
      <div class="axis" role="row">
        <span role="columnheader">Job</span>
        <span role="columnheader">
          0 — {duration(t1 - t0)} <span class="legend critical">critical path</span>
        </span>
      </div>
      {rows.map((row) => {
        if (row.kind === 'group') {
          const expand = () => setExpanded(new Set([...expanded, row.parent.id]));
          return (
            <GroupRow key={`group-${row.parent.id}`} row={row} t0={t0} t1={t1} onExpand={expand} />
          );
        }
        const { job, depth } = row;
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

/** The children of a big job as one row: how many, their states, and the span they ran in. */
function GroupRow(props: {
  row: Extract<TimelineRow, { kind: 'group' }>;
  t0: number;
  t1: number;
  onExpand: () => void;
}) {
  const { row, t0, t1 } = props;
  const span = Math.max(1, t1 - t0);
  const pct = (t: number) => ((t - t0) / span) * 100;
  const states = countsText(row.counts);
  const listed = row.parent.children.length;
  return (
    <div role="row" class="tl-row tl-group">
      <span role="cell" class="tl-name" style={{ paddingLeft: `${row.depth}em` }}>
        {row.count.toLocaleString()} children of {row.parent.title}
        {listed > 0 && (
          <button type="button" onClick={props.onExpand} title="a row for each listed child">
            show {listed < row.count ? `the ${listed.toLocaleString()} listed` : 'each'}
          </button>
        )}
      </span>
      <span role="cell" class="tl-track" title={states}>
        {row.from !== undefined && row.to !== undefined && (
          <span
            class="tl-bar tl-aggregate"
            style={{
              left: `${pct(row.from)}%`,
              width: `${Math.max(0.3, pct(row.to) - pct(row.from))}%`,
            }}
          />
        )}
        <span class="tl-counts">{states}</span>
      </span>
    </div>
  );
}
