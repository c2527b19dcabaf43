/**
 * A tree kept live in a component: a snapshot from `status:subscribe
 * {root}`, then only events with a higher seq (never polling); pause hints
 * (`tree:paused`, the last one heard winning over a snapshot); a job's
 * summary and error read once when it ends. The tree page uses it for its
 * tree and for the tree's failure handlers (SPEC §15).
 */
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { isTerminal } from '../jobtree/states.js';
import { api } from './api.js';
import { getSocket, onConnected } from './socket.js';
import { applyPaused, applyStatus, fromSnapshot, type LiveTree } from '../jobtree/live-tree.js';

/** The live tree of `root` (null until its snapshot came), why it is missing, and a redraw. */
export function useLiveTree(root: string): {
  tree: LiveTree | null;
  error: string | null;
  setError: (m: string | null) => void;
  redraw: () => void;
} {
  const tree = useRef<LiveTree | null>(null);
  const [, bump] = useReducer((n: number) => n + 1, 0);
  const redraw = () => bump(0);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const s = getSocket();
    tree.current = null;
    const subscribe = () => s.emit('status:subscribe', { root });
    // Pause hints come in the order they were written, each after its write,
    // so the last one heard is never older than a snapshot read before it.
    let lastPaused: boolean | undefined;
    const onTree = (m: { root: string; seq: number; tree: LiveTree['view'] }) => {
      if (m.root !== root) return;
      tree.current = fromSnapshot(m.tree, m.seq, lastPaused);
      redraw();
    };
    const onStatus = (e: Parameters<typeof applyStatus>[1]) => {
      const t = tree.current;
      if (e.root !== root || !t) return;
      const applied = applyStatus(t, e);
      // a grafted job: a fresh snapshot has it (a paged one lists only part of the tree anyway)
      if (applied === 'unknown' && !t.partial) subscribe();
      if (applied === 'unknown' && t.partial) redraw();
      if (applied !== 'applied') return;
      redraw();
      if (isTerminal(e.state)) {
        // summary, error and result are not in the event: read them once
        void api.job(e.job).then((full) => {
          const job = t.jobs.get(e.job);
          if (!job) return;
          if (full.summary !== undefined) job.summary = full.summary;
          if (full.error !== undefined) job.error = full.error;
          redraw();
        });
      }
    };
    const onPaused = (m: { root: string; paused: boolean }) => {
      if (m.root !== root) return;
      lastPaused = m.paused;
      if (tree.current && applyPaused(tree.current, m.paused)) redraw();
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
    return () => {
      off();
      s.off('tree', onTree);
      s.off('status', onStatus);
      s.off('tree:paused', onPaused);
      s.off('log:error', onMissing);
      s.emit('status:unsubscribe', { root });
    };
  }, [root]);

  return { tree: tree.current, error, setError, redraw };
}
