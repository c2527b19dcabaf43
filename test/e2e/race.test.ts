/**
 * SPEC §4 rule 3 under real contention: three agent processes race for
 * 1,000 `node: "*"` jobs; each job is started exactly once, counted from
 * the jobs' own side effects (a line each appends to a shared file).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnAgent, tempDir } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';

describe('e2e: claiming under contention', function () {
  this.timeout(120000);

  it('starts each of 1,000 any-node jobs exactly once across three agents (§4.3)', async () => {
    const prefix = `jt-${randomUUID()}`;
    const file = join(tempDir(), 'starts.log');
    const agents = await Promise.all(
      ['r1', 'r2', 'r3'].map((node) =>
        spawnAgent({ node, redisUrl: testRedisUrl(), prefix, env: { JOBTREE_CONCURRENCY: '8' } }),
      ),
    );
    // short lines appended with O_APPEND never interleave
    const command = `echo "$JOBTREE_JOB_ID $JOBTREE_NODE" >> ${file}`;
    const children = Array.from({ length: 1000 }, (_, i) => ({
      title: `j${i}`,
      type: 'shell',
      node: '*',
      params: { command },
    }));
    const res = await http(agents[0]!.url, 'POST', '/api/v1/trees?wait=true&timeout=100', {
      job: { title: 'race', type: 'noop', children },
    });
    expect(res.status).to.equal(200);
    expect(res.body.state).to.equal('SUCCESS');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const ids = lines.map((l) => l.split(' ')[0]);
    expect(lines).to.have.length(1000);
    expect(new Set(ids).size).to.equal(1000);
    const expected = new Set(res.body.job.children.map((c: { id: string }) => c.id));
    expect(ids.every((id) => expected.has(id))).to.equal(true);
    const perNode = new Map<string, number>();
    for (const l of lines) perNode.set(l.split(' ')[1]!, (perNode.get(l.split(' ')[1]!) ?? 0) + 1);
    expect(perNode.size, `work spread: ${JSON.stringify([...perNode])}`).to.be.greaterThan(1);
  });
});
