/**
 * The UI's pure parts: log chunks become whole lines exactly once (a
 * resubscription's repeat is trimmed, a split line waits, UTF-8 offsets),
 * and the tree model follows status events past its snapshot.
 */
import { expect } from 'chai';
import { LineSplitter, earlierLines } from '../../src/shared/log-bytes.js';
import { parseLine } from '../../src/ui/log-lines.js';
import { applyStatus, fromSnapshot } from '../../src/jobtree/live-tree.js';
import { attemptBars, criticalPath, timelineRows } from '../../src/ui/tree-model.js';
import type { NestedJob, TreeView } from '../../src/shared/types.js';

describe('ui: log lines', () => {
  it('joins split lines and trims bytes it has already taken (resume after a drop)', () => {
    const s = new LineSplitter();
    expect(s.push(100, 'a 1\nb 2\nc ')).to.deep.equal(['a 1', 'b 2']);
    expect(s.push(108, 'c 3\nd 4\n')).to.deep.equal(['c 3', 'd 4']); // "c " was held already
    expect(s.next).to.equal(116);
    expect(s.push(104, 'b 2\nc 3\nd 4\n')).to.deep.equal([]); // a whole repeat
    expect(s.push(120, 'x\n')).to.equal(null); // a gap: the caller resubscribes
    expect(s.push(116, 'é 5\n')).to.deep.equal(['é 5']);
    expect(s.next).to.equal(121); // é is two bytes
    expect(s.first).to.equal(100);
  });

  it('parses the agent’s line format and strips ANSI colours', () => {
    expect(parseLine('2026-11-23T07:48:05.711Z stderr \u001b[31mslow\u001b[0m 10')).to.deep.equal({
      time: '2026-11-23T07:48:05.711Z',
      source: 'stderr',
      text: 'slow 10',
    });
    expect(parseLine('no format').source).to.equal(null);
  });

  it('drops the partial first line of an earlier page unless it starts the file', () => {
    expect(earlierLines(10, 'rt\nwhole 1\nwhole 2\n')).to.deep.equal({
      start: 13,
      lines: ['whole 1', 'whole 2'],
    });
    expect(earlierLines(0, 'first\nsecond\n')).to.deep.equal({
      start: 0,
      lines: ['first', 'second'],
    });
  });
});

describe('ui: tree model', () => {
  const job = (
    id: string,
    children: NestedJob[] = [],
    extra: Partial<NestedJob> = {},
  ): NestedJob => ({
    id,
    root: 'r',
    parent: null,
    title: id,
    type: 'noop',
    node: 'a',
    params: {},
    state: 'WAITING',
    createdAt: 0,
    children,
    ...extra,
  });
  const view = (root: NestedJob): TreeView => ({
    root: 'r',
    state: 'RUNNING',
    paused: false,
    seq: 3,
    tags: {},
    context: {},
    job: root,
  });

  it('applies only newer events, derives the tree state, and asks for a snapshot on an unknown job', () => {
    const tree = fromSnapshot(view(job('r', [job('c', [], { state: 'QUEUED' })])), 3);
    const ev = (seq: number, id: string, state: NestedJob['state']) => ({
      root: 'r',
      job: id,
      state,
      prev: null,
      node: 'b',
      at: seq * 10,
      seq,
    });
    expect(applyStatus(tree, ev(3, 'c', 'RUNNING'))).to.equal('stale');
    expect(applyStatus(tree, ev(4, 'c', 'RUNNING'))).to.equal('applied');
    expect(tree.jobs.get('c')).to.include({ state: 'RUNNING', node: 'b', startedAt: 40 });
    expect(applyStatus(tree, ev(5, 'c', 'FAILED'))).to.equal('applied');
    expect(applyStatus(tree, ev(6, 'r', 'ABORTED'))).to.equal('applied');
    expect(tree.view.state).to.equal('FAILED');
    expect(applyStatus(tree, ev(7, 'grafted', 'QUEUED'))).to.equal('unknown');
  });

  it("keeps a paged snapshot's counts live from events of jobs it does not list (§17)", () => {
    const root = job('r', [job('c', [], { state: 'QUEUED' })], {
      childCount: 3,
      next: '1',
      counts: { WAITING: 1, QUEUED: 3 },
    });
    const tree = fromSnapshot(view(root), 3);
    expect(tree.partial).to.equal(true);
    const ev = (seq: number, id: string, state: NestedJob['state'], prev: NestedJob['state']) => ({
      root: 'r',
      job: id,
      state,
      prev,
      node: 'b',
      at: seq,
      seq,
    });
    // not listed: counted on the root, no new snapshot asked for (the hook checks `partial`)
    expect(applyStatus(tree, ev(4, 'unlisted', 'RUNNING', 'QUEUED'))).to.equal('unknown');
    expect(applyStatus(tree, ev(4, 'unlisted', 'RUNNING', 'QUEUED'))).to.equal('stale');
    expect(applyStatus(tree, ev(5, 'c', 'SUCCESS', 'QUEUED'))).to.equal('applied');
    expect(tree.view.job.counts).to.deep.equal({ WAITING: 1, QUEUED: 1, RUNNING: 1, SUCCESS: 1 });
    expect(tree.view.state).to.equal('RUNNING');
  });

  it('keeps each failed try of a retried job, and draws it on the timeline (§14)', () => {
    const tree = fromSnapshot(
      view(job('r', [job('c', [], { state: 'RUNNING', startedAt: 40, tries: 3, attempt: 1 })])),
      3,
    );
    const error = { code: 'EXIT', message: 'exit code 1' };
    const retry = {
      root: 'r',
      job: 'c',
      seq: 4,
      state: 'QUEUED' as const,
      prev: 'RUNNING' as const,
    };
    expect(
      applyStatus(tree, { ...retry, node: 'a', at: 60, attempt: 2, error, runAt: 160 }),
    ).to.equal('applied');
    const c = tree.jobs.get('c')!;
    expect(c).to.include({ state: 'QUEUED', attempt: 2, runAt: 160, queuedAt: 60 });
    expect(c.startedAt).to.equal(undefined);
    expect(c.attempts).to.deep.equal([{ startedAt: 40, finishedAt: 60, error, node: 'a' }]);
    const bars = attemptBars(c, 0, 200);
    expect(bars).to.have.length(1);
    expect(bars[0]).to.include({ left: 20, width: 10 }); // 40 to 60 of 0..200
    applyStatus(tree, { ...retry, seq: 5, state: 'RUNNING', prev: 'QUEUED', node: 'b', at: 170 });
    expect(c).to.include({ state: 'RUNNING', startedAt: 170, node: 'b' });
    expect(c.runAt).to.equal(undefined);
  });

  it('follows the child that finished last, or the one still running', () => {
    const done = job('r', [
      job('fast', [], { startedAt: 1, finishedAt: 5 }),
      job('slow', [job('slow-leaf', [], { startedAt: 1, finishedAt: 8 })], {
        startedAt: 8,
        finishedAt: 20,
      }),
    ]);
    expect([...criticalPath(done)]).to.deep.equal(['r', 'slow', 'slow-leaf']);
    const running = job('r', [
      job('done', [], { startedAt: 1, finishedAt: 9 }),
      job('busy', [], { startedAt: 2 }),
    ]);
    expect([...criticalPath(running)]).to.deep.equal(['r', 'busy']);
  });

  it('draws the children of a big job as one row, unless expanded (§17)', () => {
    const kids = Array.from({ length: 60 }, (_, i) =>
      job(
        `k${i}`,
        [],
        i < 2
          ? { state: 'SUCCESS', queuedAt: 10 + i, startedAt: 20, finishedAt: 30 + i }
          : { state: 'QUEUED' },
      ),
    );
    const small = job('s', [job('a'), job('b')]);
    const root = job('r', [small, job('big', kids)]);
    const rows = timelineRows(root, 100);
    expect(
      rows.map((r) => (r.kind === 'job' ? r.job.id : `group of ${r.parent.id}`)),
    ).to.deep.equal(['r', 's', 'a', 'b', 'big', 'group of big']);
    expect(rows[5]).to.deep.include({ count: 60, from: 10, to: 31, depth: 2 });
    expect(rows[5]).to.have.deep.property('counts', { SUCCESS: 2, QUEUED: 58 });
    expect(timelineRows(root, 100, new Set(['big']))).to.have.length(5 + 60);

    // a page of a big tree: the subtree's counts (less the parent itself), however few are listed
    const paged = job('p', [job('p0')], {
      childCount: 5000,
      counts: { WAITING: 1, QUEUED: 4990, SUCCESS: 10 },
    });
    const [, group] = timelineRows(paged, 100);
    expect(group).to.deep.include({ kind: 'group', count: 5000 });
    expect(group).to.have.deep.property('counts', { WAITING: 0, QUEUED: 4990, SUCCESS: 10 });
  });
});
