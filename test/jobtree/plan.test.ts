/**
 * planTree (SPEC §3 node assignment, §4 rule 1): ids, parents, inherited
 * nodes, leaves QUEUED and parents WAITING.
 */
import { expect } from 'chai';
import { planTree, planChildren } from '../../src/jobtree/plan.js';
import { newId } from '../../src/shared/ids.js';
import { fixture } from '../helpers/fixtures.js';

function counter(): () => string {
  let n = 0;
  return () => `id-${++n}`;
}

describe('jobtree.planTree', () => {
  it('queues leaves and leaves every other job WAITING (§4.1)', () => {
    const plan = planTree(fixture('two-level'), { acceptingNode: 'api-1', newId: counter() });
    const byTitle = new Map(plan.jobs.map((j) => [j.title, j]));
    expect(byTitle.get('Deploy shop v42')?.state).to.equal('WAITING');
    expect(byTitle.get('Build')?.state).to.equal('WAITING');
    expect(byTitle.get('Fetch source')?.state).to.equal('QUEUED');
    expect(byTitle.get('Warm cache')?.state).to.equal('QUEUED');
  });

  it('assigns nodes: explicit, inherited from the parent, the accepting node for the root (§3)', () => {
    const plan = planTree(fixture('two-level'), { acceptingNode: 'api-1', newId: counter() });
    const node = (t: string) => plan.jobs.find((j) => j.title === t)?.node;
    expect(node('Deploy shop v42')).to.equal('api-1');
    expect(node('Build')).to.equal('builder-1');
    expect(node('Fetch source')).to.equal('builder-1');
    expect(node('Warm cache')).to.equal('api-1');
  });

  it("gives every job the tree's retry default unless it has its own (§14)", () => {
    const plan = planTree(
      {
        defaults: { retry: { attempts: 3 } },
        job: {
          title: 'r',
          type: 'noop',
          children: [
            { title: 'own', type: 'noop', retry: { attempts: 5 } },
            { title: 'once', type: 'noop', retry: { attempts: 1 } },
            { title: 'default', type: 'noop' },
          ],
        },
      },
      { acceptingNode: 'n1', newId: counter() },
    );
    const tries = Object.fromEntries(plan.jobs.map((j) => [j.title, j.retry?.attempts]));
    expect(tries).to.deep.equal({ r: 3, own: 5, once: undefined, default: 3 });
  });

  it('plans handler ids at submission: compensations, onFailure children first, for whichever node claims them (§15)', () => {
    const plan = planTree(
      {
        job: {
          title: 'deploy',
          type: 'noop',
          children: [
            { title: 'fetch', type: 'noop', compensate: { type: 'noop' } },
            { title: 'build', type: 'noop', compensate: { type: 'noop', title: 'clean' } },
          ],
        },
        onFailure: {
          title: 'notify',
          type: 'noop',
          children: [
            { title: 'page', type: 'noop', children: [{ title: 'lookup', type: 'noop' }] },
            { title: 'mail', type: 'noop', node: 'n9' },
          ],
        },
      },
      { acceptingNode: 'n1', newId: counter() },
    );
    const comp = plan.jobs.map((j) => j.compensate && [j.compensate.id, j.compensate.title]);
    expect(comp).to.deep.equal([undefined, ['id-3', 'undo: fetch'], ['id-5', 'clean']]);
    const h = plan.handlers!;
    expect(h.root).to.equal('id-6');
    expect(h.onFailure.map((j) => [j.title, j.node, j.root])).to.deep.equal([
      ['lookup', '*', 'id-6'],
      ['page', '*', 'id-6'],
      ['mail', 'n9', 'id-6'],
      ['notify', '*', 'id-6'],
    ]);
    expect(h.onFailure[3]?.parent).to.equal('id-6');
    const plain = planTree({ job: { title: 'x', type: 'noop' } }, { acceptingNode: 'n1', newId });
    expect(plain.handlers).to.equal(undefined);
  });

  it('keeps "*" as the any-node marker and passes it down', () => {
    const plan = planTree(
      { job: { title: 'r', type: 'noop', node: '*', children: [{ title: 'c', type: 'noop' }] } },
      { acceptingNode: 'a', newId: counter() },
    );
    expect(plan.jobs.map((j) => j.node)).to.deep.equal(['*', '*']);
  });

  it('lists parents before children with matching links, and the root id is the tree id', () => {
    const plan = planTree(fixture('two-level'), { acceptingNode: 'a', newId: counter() });
    expect(plan.root).to.equal(plan.jobs[0]?.id);
    const seen = new Set<string>();
    for (const j of plan.jobs) {
      if (j.parent !== null) expect(seen.has(j.parent)).to.equal(true);
      seen.add(j.id);
      expect(j.root).to.equal(plan.root);
      for (const c of j.children) expect(plan.jobs.find((x) => x.id === c)?.parent).to.equal(j.id);
    }
    expect(plan.jobs).to.have.length(4);
  });

  it('plans grafted children under an existing job with its node', () => {
    const { jobs, direct } = planChildren(
      [
        { title: 'x', type: 'noop', children: [{ title: 'y', type: 'noop', node: 'other' }] },
        { title: 'z', type: 'noop' },
      ],
      { id: 'p', root: 'r', node: 'n9' },
      counter(),
    );
    expect(direct).to.have.length(2);
    expect(jobs.map((j) => [j.title, j.node, j.root, j.state])).to.deep.equal([
      ['x', 'n9', 'r', 'WAITING'],
      ['y', 'other', 'r', 'QUEUED'],
      ['z', 'n9', 'r', 'QUEUED'],
    ]);
  });
});
