/**
 * Jobs never see the cluster's secrets (SPEC §18), on a real agent process
 * configured through its environment with all three tokens and a Redis URL:
 * a shell job's environment holds none of them nor any JOBTREE_* setting of
 * the agent, and gets JOBTREE_SERVER and its own JOBTREE_JOB_TOKEN, with
 * which it reads its tree and grafts under its parent, and is refused
 * everything else; the token is dead once the job is over. A module type's
 * worker has no JOBTREE_* either and gets the token as ctx.jobToken.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnAgent, tempDir } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';

/** What the job tries with its token; prints one `call <name> <status>` line each. */
const PROBE = `
const { JOBTREE_SERVER: server, JOBTREE_JOB_TOKEN: token, JOBTREE_ROOT_ID: root, JOBTREE_JOB_ID: job } = process.env;
const other = process.argv[2];
const call = async (name, method, path, body) => {
  const res = await fetch(server + path, {
    method,
    headers: { authorization: 'Bearer ' + token, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  console.log('call ' + name + ' ' + res.status);
  return res.json().catch(() => null);
};
await call('own-tree', 'GET', '/api/v1/trees/' + root);
const { parent } = await call('own-job', 'GET', '/api/v1/jobs/' + job);
await call('own-log', 'GET', '/api/v1/jobs/' + job + '/log');
await call('graft-parent', 'POST', '/api/v1/jobs/' + parent + '/children', { jobs: [{ title: 'grafted', type: 'noop' }] });
await call('other-tree', 'GET', '/api/v1/trees/' + other);
await call('other-graft', 'POST', '/api/v1/jobs/' + other + '/children', { jobs: [{ title: 'x', type: 'noop' }] });
await call('list', 'GET', '/api/v1/trees');
await call('nodes', 'GET', '/api/v1/nodes');
await call('submit', 'POST', '/api/v1/trees', { job: { title: 'x', type: 'shell', params: { command: 'id' } } });
await call('abort-own', 'POST', '/api/v1/trees/' + root + '/abort');
await call('drain', 'POST', '/api/v1/nodes/n1/drain');
`;

/** A module type that reports what its worker sees. */
const MODULE = `
export default {
  name: 'whoami',
  async run(ctx) {
    const res = await fetch(ctx.serverUrl + '/api/v1/trees/' + ctx.root, {
      headers: { authorization: 'Bearer ' + ctx.jobToken },
    });
    const list = await fetch(ctx.serverUrl + '/api/v1/trees', {
      headers: { authorization: 'Bearer ' + ctx.jobToken },
    });
    const env = Object.keys(process.env).filter((k) => k.startsWith('JOBTREE_'));
    return { result: { env, ownTree: res.status, list: list.status } };
  },
};
`;

describe('e2e: job identity (§18)', function () {
  this.timeout(60000);

  it('keeps the agent’s secrets out of jobs, and gives each its own short-lived token', async () => {
    const secrets = {
      JOBTREE_TOKEN: `admin-${randomUUID()}`,
      JOBTREE_RUN_TOKEN: `run-${randomUUID()}`,
      JOBTREE_READ_TOKEN: `read-${randomUUID()}`,
      JOBTREE_REDIS_URL: testRedisUrl(),
    };
    const types = tempDir();
    writeFileSync(join(types, 'whoami.mjs'), MODULE);
    const probe = join(tempDir(), 'probe.mjs');
    writeFileSync(probe, PROBE);
    const agent = await spawnAgent({
      node: 'n1',
      prefix: `jt-${randomUUID()}`,
      env: { ...secrets, JOBTREE_JOB_TYPES_DIRS: types },
    });
    const admin = { authorization: `Bearer ${secrets.JOBTREE_TOKEN}` };
    const other = await http(
      agent.url,
      'POST',
      '/api/v1/trees',
      { job: { title: 'other', type: 'sleep', params: { ms: 30000 } } },
      admin,
    );
    const node = process.execPath;
    const made = await http(
      agent.url,
      'POST',
      '/api/v1/trees?wait=true',
      {
        job: {
          title: 'parent',
          type: 'noop',
          children: [
            { title: 'env', type: 'shell', params: { command: 'env' } },
            { title: 'probe', type: 'shell', params: { argv: [node, probe, other.body.root] } },
            { title: 'module', type: 'whoami' },
          ],
        },
      },
      admin,
    );
    expect(made.status).to.equal(200);
    const byTitle = (t: string) =>
      (made.body.job.children as Array<{ title: string; id: string }>).find((c) => c.title === t)!;
    const logOf = async (id: string) =>
      (await fetch(`${agent.url}/api/v1/jobs/${id}/log`, { headers: admin })).text();

    const env = await logOf(byTitle('env').id);
    for (const [name, value] of Object.entries(secrets)) {
      expect(env, name).to.not.include(value);
      expect(env, name).to.not.include(`${name}=`);
    }
    expect(env).to.not.include('JOBTREE_JOB_TYPES_DIRS=');
    expect(env).to.include(`JOBTREE_SERVER=${agent.url}`);
    const token = /JOBTREE_JOB_TOKEN=(jtj_\S+)/.exec(env)?.[1];
    expect(token).to.be.a('string');
    // over with the job
    const late = await http(agent.url, 'GET', `/api/v1/trees/${made.body.root}`, undefined, {
      authorization: `Bearer ${token}`,
    });
    expect(late.status).to.equal(401);

    const calls = Object.fromEntries(
      [...(await logOf(byTitle('probe').id)).matchAll(/call (\S+) (\d+)/g)].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
    expect(calls).to.deep.equal({
      'own-tree': 200,
      'own-job': 200,
      'own-log': 200,
      'graft-parent': 201,
      'other-tree': 403,
      'other-graft': 403,
      list: 403,
      nodes: 403,
      submit: 403,
      'abort-own': 403,
      drain: 403,
    });
    expect(made.body.job.childCount ?? made.body.job.children.length).to.equal(4); // the graft

    expect(byTitle('module')).to.deep.include({ state: 'SUCCESS' });
    const result = (
      byTitle('module') as unknown as { result: { env: string[]; ownTree: number; list: number } }
    ).result;
    expect(result.env).to.deep.equal([]); // the worker serves many jobs: its identity is in ctx
    expect(result.ownTree).to.equal(200);
    expect(result.list).to.equal(403);
  });
});
