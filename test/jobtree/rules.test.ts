/**
 * The reference model of SPEC §4 (rules.ts) and the tree state (rule 6).
 */
import { expect } from 'chai';
import {
  abortJob,
  addChildren,
  buildModel,
  claim,
  finish,
  isTreeActive,
  retriesCode,
} from '../../src/jobtree/rules.js';
import { deriveTreeState } from '../../src/jobtree/tree-state.js';
import { isAllowedTransition } from '../../src/jobtree/states.js';

// r ─┬─ a ── a1
//    └─ b
function model() {
  return buildModel([
    { id: 'r', parent: null, children: ['a', 'b'] },
    { id: 'a', parent: 'r', children: ['a1'] },
    { id: 'a1', parent: 'a', children: [] },
    { id: 'b', parent: 'r', children: [] },
  ]);
}

describe('jobtree.rules', () => {
  it('queues a parent the moment its last child succeeds, not level by level (§4.2)', () => {
    const m = model();
    claim(m, 'a1');
    const t = finish(m, 'a1', 'SUCCESS');
    expect(t?.transitions).to.deep.include({ job: 'a', prev: 'WAITING', state: 'QUEUED' });
    expect(m.get('b')?.state).to.equal('QUEUED'); // b still queued: a did not wait for its level
  });

  it('claims a job at most once (§4.3)', () => {
    const m = model();
    expect(claim(m, 'b')).to.deep.equal({ job: 'b', prev: 'QUEUED', state: 'RUNNING' });
    expect(claim(m, 'b')).to.equal(null);
    expect(claim(m, 'a')).to.equal(null);
  });

  it('aborts the rest of the tree when a job fails, flagging running jobs (§4.4)', () => {
    const m = model();
    claim(m, 'a1');
    claim(m, 'b');
    const t = finish(m, 'b', 'FAILED');
    expect(t?.signal).to.deep.equal(['a1']);
    expect(m.get('b')?.state).to.equal('FAILED');
    expect(m.get('a')?.state).to.equal('ABORTED');
    expect(m.get('r')?.state).to.equal('ABORTED');
    expect(m.get('a1')?.state).to.equal('RUNNING');
    finish(m, 'a1', 'SUCCESS');
    expect(m.get('a1')?.state).to.equal('ABORTED'); // flagged: ends ABORTED whatever it reports
    expect(isTreeActive(m)).to.equal(false);
  });

  it('makes a user abort of a finished tree a no-op (§4.5)', () => {
    const m = buildModel([{ id: 'r', parent: null, children: [] }]);
    claim(m, 'r');
    finish(m, 'r', 'SUCCESS');
    expect(abortJob(m, 'r')).to.equal(null);
  });

  it('grafts children under a job that has not started, and refuses a started one (§3)', () => {
    const m = model();
    expect(addChildren(m, 'b', [{ id: 'b1', parent: 'b', children: [] }])).to.deep.equal([
      { job: 'b', prev: 'QUEUED', state: 'WAITING' },
    ]);
    claim(m, 'a1');
    expect(addChildren(m, 'a1', [{ id: 'x', parent: 'a1', children: [] }])).to.equal(null);
  });

  it('derives the tree state (§4.6)', () => {
    expect(deriveTreeState({ SUCCESS: 3, RUNNING: 1 })).to.equal('RUNNING');
    expect(deriveTreeState({ SUCCESS: 3 })).to.equal('SUCCESS');
    expect(deriveTreeState({ FAILED: 1, ABORTED: 2 })).to.equal('FAILED');
    expect(deriveTreeState({ ABORTED: 2, SUCCESS: 1 })).to.equal('ABORTED');
  });

  it('allows only the transitions of the state diagram', () => {
    expect(isAllowedTransition('QUEUED', 'RUNNING')).to.equal(true);
    expect(isAllowedTransition('WAITING', 'RUNNING')).to.equal(false);
    expect(isAllowedTransition('SUCCESS', 'FAILED')).to.equal(false);
    expect(isAllowedTransition('RUNNING', 'QUEUED')).to.equal(true); // a retry (§14)
    expect(isAllowedTransition(null, 'WAITING')).to.equal(true); // born
    expect(isAllowedTransition(null, 'RUNNING')).to.equal(false);
  });

  it('tries a failed job again while it has tries and its code is retried (§14)', () => {
    const m = buildModel([
      { id: 'r', parent: null, children: [], retry: { attempts: 2, on: ['FLAKY'] } },
    ]);
    claim(m, 'r');
    expect(
      finish(m, 'r', 'FAILED', { code: 'BROKEN', policy: { attempts: 2, on: ['FLAKY'] } }),
    ).to.have.nested.property('transitions[0].state', 'FAILED');
    const again = buildModel([{ id: 'r', parent: null, children: [], retry: { attempts: 2 } }]);
    claim(again, 'r');
    expect(finish(again, 'r', 'FAILED', { code: 'BROKEN' })?.transitions).to.deep.equal([
      { job: 'r', prev: 'RUNNING', state: 'QUEUED' },
    ]);
    claim(again, 'r');
    expect(again.get('r')?.attempt).to.equal(2);
    expect(finish(again, 'r', 'FAILED', { code: 'BROKEN' })?.transitions[0]?.state).to.equal(
      'FAILED',
    ); // no tries left
    expect(retriesCode('ABORTED_BY_USER', { attempts: 3 })).to.equal(false);
  });
});
