/**
 * At most limits.bigReads reads of big trees at once (SPEC §18): on its
 * own (a read holding its place is refused to the next, 503 BUSY with
 * Retry-After; small trees take no place), and through the API, where
 * concurrent reads of a 12,000-job tree find the place taken.
 */
import { expect } from 'chai';
import { BigReads } from '../../src/access/big-reads.js';
import { UnavailableError } from '../../src/shared/errors.js';
import { makeAgent } from '../helpers/agents.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';

describe('access.BigReads', () => {
  it('lets one big read at a time through, refuses the next at once, and never holds small ones', async () => {
    const sizes: Record<string, number> = { big: 10_001, small: 10_000 };
    const reads = new BigReads(1, async (root) => sizes[root] ?? 0);
    let finish = (): void => undefined;
    const first = reads.run('big', () => new Promise<string>((r) => (finish = () => r('done'))));
    await new Promise((r) => setImmediate(r));
    expect(reads.inUse).to.equal(1);
    const second = await reads.run('big', async () => 'read').catch((e: unknown) => e);
    expect(second).to.be.instanceOf(UnavailableError);
    expect((second as UnavailableError).code).to.equal('BUSY');
    expect((second as UnavailableError).retryAfterS).to.be.at.least(1);
    expect(await reads.run('small', async () => 'small read')).to.equal('small read');
    finish();
    expect(await first).to.equal('done');
    expect(reads.inUse).to.equal(0);
    expect(await reads.run('big', async () => 'again')).to.equal('again');
    await reads
      .run('big', async () => {
        throw new Error('a failed read');
      })
      .catch(() => undefined);
    expect(reads.inUse).to.equal(0); // a failed read gives its place back
  });

  it('answers concurrent reads of a big tree 503 BUSY past limits.bigReads through the API', async function () {
    this.timeout(60000);
    const agent = await makeAgent(makeStore(), { env: { JOBTREE_LIMITS_BIG_READS: '1' } });
    const leaves = Array.from({ length: 12_000 }, (_, i) => ({
      title: `l${i}`,
      type: 'noop',
      node: 'elsewhere',
    }));
    const made = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'big', type: 'noop', node: 'elsewhere', children: leaves },
    });
    expect(made.status).to.equal(201);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        http(agent.url, 'GET', `/api/v1/trees/${made.body.root}?depth=1&limit=12000`),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses).to.include(200);
    expect(statuses).to.include(503);
    const busy = answers.find((a) => a.status === 503)!;
    expect(busy.body.error.code).to.equal('BUSY');
    expect(busy.headers.get('retry-after')).to.equal('1');
    expect(
      (await http(agent.url, 'GET', `/api/v1/trees/${made.body.root}?depth=1&limit=10`)).status,
    ).to.equal(200);
  });
});
