/**
 * Definitions against a hostile caller (SPEC §18): a parameter cannot
 * become a command (shell quoting, run for real by /bin/sh); an expansion
 * stops at the tree limit naming the `$each`; a pattern runs in linear
 * time or is refused at PUT naming it; a specimen stays small; and a
 * message whose run cannot start (too large, or a corrupt record) is
 * moved to `?state=failed` with why, never retried, while the messages
 * behind it start. The agent answers its health throughout.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { makeAgent, tempDir } from '../helpers/agents.js';
import { definitionFixture } from '../helpers/fixtures.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

async function setup() {
  const store = makeStore();
  const agent = await makeAgent(store, { node: 'n1' });
  const api = (m: string, p: string, b?: unknown) => http(agent.url, m, p, b);
  const healthy = async () => expect((await api('GET', '/api/v1/health')).status).to.equal(200);
  return { store, agent, api, healthy };
}

describe('api: definitions, hostile (§18)', function () {
  this.timeout(30000);

  it('passes a parameter to /bin/sh as one word: "1.0; touch MARK #" runs nothing', async () => {
    const { api } = await setup();
    const dir = tempDir();
    const out = join(dir, 'version');
    const mark = join(dir, 'pwned');
    const def = {
      params: {
        type: 'object',
        required: ['version'],
        properties: { version: { type: 'string' } },
      },
      tree: {
        job: {
          title: 'v',
          type: 'shell',
          params: { command: `printf '%s' \${params.version} > ${out}` },
        },
      },
    };
    expect((await api('PUT', '/api/v1/definitions/quoted', def)).status).to.equal(201);
    const version = `1.0; touch ${mark} #'"$(touch ${mark})`;
    const run = await api('POST', '/api/v1/definitions/quoted/runs?wait=true', {
      params: { version },
    });
    expect(run.body.state).to.equal('SUCCESS');
    expect(readFileSync(out, 'utf8')).to.equal(version);
    expect(existsSync(mark)).to.equal(false);
  });

  it('stops an expansion at the tree limit, naming its $each (400 TOO_LARGE)', async () => {
    const { api, healthy, store } = await setup();
    const def = definitionFixture('square');
    expect((await api('PUT', '/api/v1/definitions/square', def)).status).to.equal(201);
    const hosts = Array.from({ length: 2000 }, (_, i) => i);
    const run = await api('POST', '/api/v1/definitions/square/runs', { params: { hosts } });
    expect(run.status).to.equal(400);
    expect(run.body.error).to.deep.include({
      code: 'TOO_LARGE',
      path: 'tree.job.children[0].job.children[0].job',
    });
    expect((await store.listTrees({ tags: [], limit: 10 })).trees).to.deep.equal([]);
    await healthy();
  });

  it('matches patterns in linear time, and refuses at PUT one that cannot be (§18)', async () => {
    const { api, healthy } = await setup();
    const schema = (pattern: string) => ({
      params: { type: 'object', properties: { v: { type: 'string', pattern } } },
      tree: { job: { title: 't', type: 'noop' } },
    });
    const refused = await api('PUT', '/api/v1/definitions/backref', schema('^(a)\\1$'));
    expect(refused.status).to.equal(400);
    expect(refused.body.error.path).to.equal('params.properties.v.pattern');
    expect((await api('PUT', '/api/v1/definitions/nested', schema('^(a+)+$'))).status).to.equal(
      201,
    );
    // with a backtracking engine this would not end in the test's lifetime (2^5000 steps)
    const run = await api('POST', '/api/v1/definitions/nested/runs', {
      params: { v: `${'a'.repeat(5000)}!` },
    });
    expect(run.status).to.equal(400);
    expect(run.body.error.path).to.equal('params.v');
    await healthy();
  });

  it('checks a definition whose schema asks for 10^8 items with a small specimen', async () => {
    const { api, healthy } = await setup();
    const def = definitionFixture('huge-specimen'); // 235 bytes asking for 10^8 items
    expect((await api('PUT', '/api/v1/definitions/huge', def)).status).to.equal(201);
    await healthy();
  });

  it('moves a message whose run cannot start to ?state=failed, and starts the ones behind it', async () => {
    const { api, store } = await setup();
    const def = definitionFixture('square');
    expect(
      (await api('PUT', '/api/v1/definitions/inbox', { ...def, maxConcurrentRuns: 1 })).status,
    ).to.equal(201);
    // a message whose record was corrupted in Redis, at the head of the inbox
    const redis = new Redis(testRedisUrl());
    await redis.rpush(`${store.prefix}:def:inbox:inbox`, 'a3c5e0a8-2a1e-4b8e-9a57-0d7f6f0d2c11');
    await redis.hset(
      `${store.prefix}:def:inbox:messages`,
      'a3c5e0a8-2a1e-4b8e-9a57-0d7f6f0d2c11',
      '{not json',
    );
    redis.disconnect();
    const hosts = Array.from({ length: 2000 }, (_, i) => i);
    const big = await api('POST', '/api/v1/definitions/inbox/messages', { hosts });
    expect(big.status).to.equal(202);
    const small = await api('POST', '/api/v1/definitions/inbox/messages', { hosts: [1, 2] });
    const runs = await waitFor(
      async () => {
        const r = (await api('GET', '/api/v1/definitions/inbox/runs')).body.runs as unknown[];
        return r.length > 0 && r;
      },
      { what: 'the small message to start' },
    );
    expect(runs).to.have.length(1);
    const failed = (await api('GET', '/api/v1/definitions/inbox/messages?state=failed')).body
      .messages;
    expect(
      failed.map((m: { id: string; error: { code: string } }) => [m.id, m.error.code]),
    ).to.deep.equal([
      [big.body.id, 'TOO_LARGE'],
      ['a3c5e0a8-2a1e-4b8e-9a57-0d7f6f0d2c11', 'CORRUPT_RECORD'],
    ]);
    expect(failed[0].params).to.deep.equal({ hosts });
    expect((await api('GET', '/api/v1/definitions/inbox/messages')).body.messages).to.deep.equal(
      [],
    );
    expect(small.status).to.equal(202);
    expect((await api('GET', '/api/v1/definitions/inbox/messages?state=bogus')).status).to.equal(
      400,
    );
  });
});
