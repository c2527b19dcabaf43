/**
 * SIGHUP reloads the config (SPEC §16): what can change live takes effect
 * (concurrency, seen in /api/v1/nodes; the tokens), what needs a restart
 * is logged, and a config that fails validation is refused whole while the
 * agent stays healthy on the one it runs.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnAgent, tempDir } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { connect } from '../helpers/log-client.js';
import { waitFor } from '../helpers/wait.js';

describe('e2e: SIGHUP reload', function () {
  this.timeout(60000);

  it('applies what can change live, names what needs a restart, and refuses a bad config whole', async () => {
    const dir = tempDir('jobtree-config-');
    writeFileSync(join(dir, '10-base.json'), JSON.stringify({ concurrency: 2 }));
    const a = await spawnAgent({
      node: 'a',
      redisUrl: testRedisUrl(),
      prefix: `jt-${randomUUID()}`,
      args: ['--config', dir],
    });
    const concurrency = async (headers: Record<string, string> = {}) =>
      (await http(a.url, 'GET', '/api/v1/nodes', undefined, headers)).body.nodes?.[0]?.concurrency;
    expect(await concurrency()).to.equal(2);

    writeFileSync(
      join(dir, '20-more.json'),
      JSON.stringify({ concurrency: 5, retention: { sweepIntervalMs: 1000 } }),
    );
    a.child.kill('SIGHUP');
    await waitFor(async () => (await concurrency()) === 5, { what: 'concurrency 5 in /nodes' });
    await waitFor(() => a.output().includes('these keys need a restart'));
    expect(a.output()).to.match(/"needRestart":\["retention.sweepIntervalMs"\]/);

    const token = `rotated-${randomUUID()}`;
    writeFileSync(join(dir, '30-token.json'), JSON.stringify({ auth: { token } }));
    a.child.kill('SIGHUP');
    await waitFor(async () => (await http(a.url, 'GET', '/api/v1/trees')).status === 401, {
      what: 'the new token to be required',
    });
    const bearer = { authorization: `Bearer ${token}` };
    expect((await http(a.url, 'GET', '/api/v1/trees', undefined, bearer)).status).to.equal(200);

    writeFileSync(join(dir, '40-bad.json'), JSON.stringify({ concurrency: 'lots' }));
    a.child.kill('SIGHUP');
    await waitFor(() => a.output().includes('config reload refused'));
    expect(a.output()).to.include('40-bad.json');
    expect((await http(a.url, 'GET', '/api/v1/health')).status).to.equal(200);
    expect(await concurrency(bearer)).to.equal(5);
    expect((await http(a.url, 'GET', '/api/v1/trees', undefined, bearer)).status).to.equal(200);
  });
});

describe('e2e: SIGHUP that rotates a token (§18)', function () {
  this.timeout(60000);

  it('closes the socket.io sessions of tokens no longer valid, and only those', async () => {
    const dir = tempDir('jobtree-config-');
    const admin = `admin-${randomUUID()}`;
    const read = `read-${randomUUID()}`;
    writeFileSync(
      join(dir, '10-auth.json'),
      JSON.stringify({ auth: { token: admin, readToken: read } }),
    );
    const a = await spawnAgent({
      node: 'a',
      redisUrl: testRedisUrl(),
      prefix: `jt-${randomUUID()}`,
      args: ['--config', dir],
    });
    const reader = await connect(a.url, read);
    const operator = await connect(a.url, admin);
    const dropped = new Promise<string>((resolve) => reader.once('disconnect', resolve));

    writeFileSync(
      join(dir, '20-rotate.json'),
      JSON.stringify({ auth: { readToken: `read-${randomUUID()}` } }),
    );
    a.child.kill('SIGHUP');
    expect(await dropped).to.equal('io server disconnect');
    await waitFor(() => a.output().includes('closed the sessions of tokens no longer valid'));
    expect(operator.connected).to.equal(true);
    expect(await connect(a.url, read).catch((e: Error) => e.message)).to.equal('UNAUTHORIZED');
  });
});
