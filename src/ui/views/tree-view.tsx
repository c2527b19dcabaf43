/**
 * One tree, live: a snapshot from `status:subscribe {root}`, then only
 * events with a higher seq (never polling). Nested jobs with state, node,
 * duration and summary or error; aborts with a confirmation; pause and
 * resume (`tree:paused`, the last one heard winning over a snapshot); the
 * context
 * and each result on demand; the timeline; the log panel of a chosen job.
 */
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { NestedJob } from '../../shared/types.js';
import { api } from '../api.js';
import { clock, duration, runTime } from '../format.js';
import { getSocket, onConnected } from '../socket.js';
import { applyStatus, fromSnapshot, type LiveTree } from '../tree-model.js';
import { LogPanel } from './log-panel.js';
import { StateBadge } from './state-badge.js';
import { Timeline } from './timeline.js';
import { Alert } from './alert.js';

const TERMINAL = new Set(['SUCCESS', 'FAILED', 'ABORTED']);

function openLog(root: string, job: string | null): void {
  location.hash = job ? `#/trees/${root}?log=${job}` : `#/trees/${root}`;
}

async function confirmAbort(
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

function JobRow(props: {
  job: NestedJob;
  root: string;
  now: number;
  selected: string | null;
  onError: (m: string) => void;
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
    </li>
  );
}

export function TreeView(props: { root: string; logJob: string | null }) {
  const tree = useRef<LiveTree | null>(null);
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const [tab, setTab] = useState<'jobs' | 'timeline'>('jobs');

  useEffect(() => {
    const s = getSocket();
    const { root } = props;
    const subscribe = () => s.emit('status:subscribe', { root });
    // Pause hints come in the order they were written, each after its write,
    // so the last one heard is never older than a snapshot read before it.
    let lastPaused: boolean | undefined;
    const onTree = (m: { root: string; seq: number; tree: LiveTree['view'] }) => {
      if (m.root !== root) return;
      tree.current = fromSnapshot(m.tree, m.seq);
      if (lastPaused !== undefined) tree.current.view.paused = lastPaused;
      redraw(0);
    };
    const onStatus = (e: Parameters<typeof applyStatus>[1]) => {
      const t = tree.current;
      if (e.root !== root || !t) return;
      const applied = applyStatus(t, e);
      if (applied === 'unknown') subscribe(); // a grafted job: a fresh snapshot has it
      if (applied !== 'applied') return;
      redraw(0);
      if (TERMINAL.has(e.state)) {
        // summary, error and result are not in the event: read them once
        void api.job(e.job).then((full) => {
          const job = t.jobs.get(e.job);
          if (!job) return;
          if (full.summary !== undefined) job.summary = full.summary;
          if (full.error !== undefined) job.error = full.error;
          redraw(0);
        });
      }
    };
    const onPaused = (m: { root: string; paused: boolean }) => {
      if (m.root !== root) return;
      lastPaused = m.paused;
      if (tree.current) tree.current.view.paused = m.paused;
      redraw(0);
    };
    s.on('tree', onTree);
    s.on('status', onStatus);
    s.on('tree:paused', onPaused);
    const off = onConnected(s, subscribe);
    // the server answers a subscription to an unknown tree with NOT_FOUND (no second read of it here)
    const onMissing = (m: { job: string; code: string; message: string }) => {
      if (m.job === root && m.code === 'NOT_FOUND') setError(m.message);
    };
    s.on('log:error', onMissing);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      off();
      s.off('tree', onTree);
      s.off('status', onStatus);
      s.off('tree:paused', onPaused);
      s.off('log:error', onMissing);
      s.emit('status:unsubscribe', { root });
      clearInterval(tick);
    };
  }, [props.root]);

  const t = tree.current;
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
                    redraw(0);
                  },
                  (err: Error) => setError(err.message),
                )
              }
            >
              {view.paused ? 'Resume tree' : 'Pause tree'}
            </button>
          )}
          <div role="tablist" aria-label="Tree views">
            {(['jobs', 'timeline'] as const).map((name) => (
              <button
                type="button"
                role="tab"
                aria-selected={tab === name}
                onClick={() => setTab(name)}
              >
                {name === 'jobs' ? 'Jobs' : 'Timeline'}
              </button>
            ))}
          </div>
        </div>
        <Alert message={error} />
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
            />
          </ul>
        ) : (
          <Timeline tree={t} now={now} onPick={(id) => openLog(view.root, id)} />
        )}
      </div>
      {props.logJob && t.jobs.has(props.logJob) && (
        <LogPanel
          key={props.logJob}
          job={t.jobs.get(props.logJob) as NestedJob}
          onClose={() => openLog(view.root, null)}
        />
      )}
    </section>
  );
}
