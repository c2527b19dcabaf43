/**
 * A job's own token (SPEC §18), on its own: it names one try of one job,
 * is good only while the agent runs that try, and cannot be forged from
 * another job's or another key's.
 */
import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { JobTokens } from '../../src/access/job-token.js';
import { ownsTree } from '../../src/access/roles.js';

describe('access.JobTokens', () => {
  const root = randomUUID();
  const job = randomUUID();
  const running = new Set<string>();
  const runs = { runs: (r: string, id: string, a: number) => running.has(`${r}/${id}/${a}`) };
  const tokens = new JobTokens(randomBytes(32), runs);

  it('names the job and its tree while that try runs, and nothing once it is over', () => {
    const token = tokens.mint(root, job, 1);
    expect(tokens.verify(token)).to.equal(null); // not running (yet)
    running.add(`${root}/${job}/1`);
    expect(tokens.verify(token)).to.deep.equal({ root, job });
    running.delete(`${root}/${job}/1`);
    running.add(`${root}/${job}/2`); // the next try: the first try's token is over
    expect(tokens.verify(token)).to.equal(null);
    expect(tokens.verify(tokens.mint(root, job, 2))).to.deep.equal({ root, job });
  });

  it('cannot be forged: another job, another tree, another key, a changed byte', () => {
    running.add(`${root}/${job}/1`);
    const token = tokens.mint(root, job, 1);
    const other = randomUUID();
    running.add(`${root}/${other}/1`);
    expect(tokens.verify(token.replace(job, other))).to.equal(null);
    expect(tokens.verify(new JobTokens(randomBytes(32), runs).mint(root, job, 1))).to.equal(null);
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(tokens.verify(flipped)).to.equal(null);
    for (const junk of ['', 'jtj_', `jtj_${root}_${job}_1_`, token + 'x', 'Bearer x'])
      expect(tokens.verify(junk), junk).to.equal(null);
  });

  it('reaches its own tree only, where a role reaches every tree', () => {
    const job = { kind: 'job' as const, root, job: randomUUID() };
    expect(ownsTree(job, root)).to.equal(true);
    expect(ownsTree(job, root.toUpperCase())).to.equal(true);
    expect(ownsTree(job, randomUUID())).to.equal(false);
    expect(ownsTree(job, null)).to.equal(false);
    expect(ownsTree({ kind: 'role', role: 'read' }, randomUUID())).to.equal(true);
  });
});
