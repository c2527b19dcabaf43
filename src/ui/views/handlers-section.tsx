/**
 * A tree's failure handlers below it (SPEC §15): whether they wait for the
 * tree's end or were skipped, and once they run, their own tree, live.
 * The tree page re-reads its tree when the tree ends, because the handler
 * tree is written by the script that settles it and no event names it.
 */
import { useEffect } from 'preact/hooks';
import type { TreeView } from '../../shared/types.js';
import { api } from '../api.js';
import { isTerminal } from '../../jobtree/states.js';
import { useLiveTree } from '../live-tree.js';
import type { LiveTree } from '../../jobtree/live-tree.js';
import { JobRow } from './job-row.js';
import { StateBadge } from './state-badge.js';

const WAITING_TEXT = {
  PENDING: 'They run if the tree fails or is aborted: its compensations, then onFailure.',
  SKIPPED: 'Skipped: the tree succeeded, was aborted without handlers, or had nothing to undo.',
};

function HandlerTree(props: { root: string; now: number; onError: (m: string) => void }) {
  const { tree } = useLiveTree(props.root);
  if (!tree) return <p class="loading">Loading handlers…</p>;
  return (
    <>
      <p class="meta">
        <StateBadge state={tree.view.state} />{' '}
        <a href={`#/trees/${props.root}`}>handler tree {props.root}</a>
      </p>
      <ul class="jobs" aria-label="Handler jobs">
        <JobRow
          job={tree.view.job}
          root={props.root}
          now={props.now}
          selected={null}
          onError={props.onError}
        />
      </ul>
    </>
  );
}

export function HandlersSection(props: {
  owner: LiveTree;
  now: number;
  redraw: () => void;
  onError: (m: string) => void;
}) {
  const view = props.owner.view;
  const ended = isTerminal(view.state);
  useEffect(() => {
    if (!ended || view.handlers?.state !== 'PENDING') return;
    void api.tree(view.root).then(
      (fresh: TreeView) => {
        if (fresh.handlers) view.handlers = fresh.handlers;
        props.redraw();
      },
      (err: Error) => props.onError(err.message),
    );
  }, [ended, view.root]);
  const h = view.handlers;
  if (!h) return null;
  return (
    <section class="handlers" aria-labelledby="handlers-title">
      <h2 id="handlers-title">Failure handlers</h2>
      {h.state === 'PENDING' || h.state === 'SKIPPED' ? (
        <p class="meta handlers-state" data-state={h.state}>
          {WAITING_TEXT[h.state]}
        </p>
      ) : (
        <HandlerTree root={h.root} now={props.now} onError={props.onError} />
      )}
    </section>
  );
}
