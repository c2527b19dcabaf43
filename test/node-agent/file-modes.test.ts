/**
 * Local hardening (SPEC §18): after an agent ran a shell job, an
 * executable type and a registered module, nothing in its data dir is
 * readable, writable or searchable by other users of the machine: logs are
 * 0640 in 0750 directories, and secrets and sources are the agent's alone.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnAgent, tempDir } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { writeType } from '../helpers/plugins.js';
import { waitFor } from '../helpers/wait.js';

/** Every path under `dir` with its permission bits. */
function walk(dir: string, out: Array<[string, number, boolean]> = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    out.push([path, st.mode & 0o777, st.isDirectory()]);
    if (st.isDirectory()) walk(path, out);
  }
  return out;
}

describe('node-agent: file modes of the data dir (§18)', function () {
  this.timeout(60000);

  it('leaves nothing in the data dir for other users', async () => {
    const types = tempDir();
    writeType(types, 'echo-params', '#!/bin/sh\ncat\n', 0o755);
    const agent = await spawnAgent({
      node: 'n1',
      redisUrl: testRedisUrl(),
      prefix: `jt-${randomUUID()}`,
      env: { JOBTREE_JOB_TYPES_DIRS: types },
    });
    const module = `export default { name: 'hello', async run(ctx) { ctx.log('hello'); return {}; } };`;
    const registered = await fetch(`${agent.url}/api/v1/job-types/hello`, {
      method: 'PUT',
      headers: { 'content-type': 'application/javascript' },
      body: module,
    });
    expect(registered.status).to.equal(201);
    await waitFor(async () => {
      const nodes = (await http(agent.url, 'GET', '/api/v1/nodes')).body.nodes;
      return (
        nodes[0]?.typeVersions?.hello?.version !== undefined &&
        nodes[0]?.typeVersions?.['echo-params']
      );
    });
    const run = await http(agent.url, 'POST', '/api/v1/trees?wait=true', {
      job: {
        title: 'all kinds',
        type: 'noop',
        children: [
          { title: 'shell', type: 'shell', params: { command: 'echo out; echo err >&2' } },
          { title: 'exe', type: 'echo-params', params: { a: 1 } },
          { title: 'module', type: 'hello' },
        ],
      },
    });
    expect(run.body.state).to.equal('SUCCESS');
    const running = walk(agent.dataDir); // with the registered module's cached source
    await agent.stop();

    const entries = [...running, ...walk(agent.dataDir)];
    const open = entries
      .filter(([, mode]) => (mode & 0o007) !== 0)
      .map(([p, m]) => `${relative(agent.dataDir, p)} ${m.toString(8)}`);
    expect(open).to.deep.equal([]);
    const logs = entries.filter(([p]) => relative(agent.dataDir, p).startsWith('logs'));
    expect(logs.length).to.be.at.least(5); // logs/, a tree's dir, four logs
    for (const [path, mode, isDir] of logs)
      expect(mode, relative(agent.dataDir, path)).to.equal(isDir ? 0o750 : 0o640);
    const secrets = entries.filter(([p]) => /job-token\.key$|type-cache\/.+\.mjs$/.test(p));
    expect(secrets.length).to.be.at.least(2);
    for (const [path, mode] of secrets) expect(mode, relative(agent.dataDir, path)).to.equal(0o600);
  });
});
