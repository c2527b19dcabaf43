/**
 * Registering code obeys the node (SPEC §18): a node that runs no
 * registered code answers a registration 403 REGISTRATION_DISABLED without
 * loading the source (whose top level would otherwise run in the check
 * worker, as it does on a node that accepts registrations), and stores
 * nothing.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeAgent, tempDir } from '../helpers/agents.js';
import { makeStore } from '../helpers/store.js';

/** A module whose import leaves a file behind: proof that it ran. */
function marking(marker: string): string {
  return `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(marker)}, 'ran');
export default { name: 'marked', run: async () => ({}) };
`;
}

async function register(url: string, source: string) {
  const res = await fetch(`${url}/api/v1/job-types/marked`, {
    method: 'PUT',
    headers: { 'content-type': 'application/javascript' },
    body: source,
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
}

describe('api: registration on a node that runs no registered code (§18)', function () {
  this.timeout(30000);

  it('is refused without loading the source, and stores nothing', async () => {
    const store = makeStore();
    const closed = await makeAgent(store, {
      node: 'closed',
      env: { JOBTREE_JOB_TYPES_ACCEPT_REGISTERED: 'false' },
    });
    const marker = join(tempDir(), 'ran');
    const refused = await register(closed.url, marking(marker));
    expect(refused.status).to.equal(403);
    expect(refused.body.error?.code).to.equal('REGISTRATION_DISABLED');
    expect(existsSync(marker)).to.equal(false);
    expect(await store.jobTypes.list()).to.deep.equal([]);

    // the same source through a node that accepts registrations is loaded (and so runs)
    const open = await makeAgent(store, { node: 'open' });
    expect((await register(open.url, marking(marker))).status).to.equal(201);
    expect(existsSync(marker)).to.equal(true);
  });
});
