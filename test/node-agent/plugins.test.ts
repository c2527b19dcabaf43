/**
 * Plugin job types from a node's directories (SPEC §11): module types in
 * worker processes, executable types, params checked at submission, the
 * version a job ran, a reload while a job of the old version runs, and a
 * version that fails to load never replacing the one in use.
 */
import { expect } from 'chai';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { sha256Of } from '../../src/shared/sha256.js';
import { join } from 'node:path';
import { makeAgent } from '../helpers/agents.js';
import { http } from '../helpers/http.js';
import {
  isAlive,
  loaded,
  runTree,
  TYPES_FIXTURES,
  typesDir,
  writeType,
} from '../helpers/plugins.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const logOf = async (url: string, id: string): Promise<string> =>
  (await http(url, 'GET', `/api/v1/jobs/${id}/log`)).body as string;

/** The whole log of a job that ended (its last line is written as the log closes). */
const finalLog = (url: string, id: string): Promise<string> =>
  waitFor(async () => {
    const log = await logOf(url, id);
    return log.includes(' finished ') ? log : undefined;
  });

describe('agent: plugin job types from a directory', () => {
  it('runs a module type in a worker process and records its version (§11)', async () => {
    const dir = typesDir('echo-pid.mjs');
    const agent = await makeAgent(makeStore(), { env: { JOBTREE_JOB_TYPES_DIRS: dir } });
    const version = await loaded(agent, 'echo-pid');
    const res = await runTree(agent.url, {
      job: { title: 'say', type: 'echo-pid', params: { word: 'hi' } },
    });
    expect(res.status).to.equal(200);
    const job = res.body.job;
    expect(job.state).to.equal('SUCCESS');
    expect(job.result.word).to.equal('hi');
    expect(job.result.pid).to.be.a('number').and.not.equal(process.pid);
    expect(job.typeVersion).to.equal(version);
    expect(version).to.match(/^[0-9a-f]{12}$/);
    const log = await finalLog(agent.url, job.id);
    expect(log).to.include(`echo hi from ${job.result.pid}`);
    expect(log).to.include(`(dir version ${version}, in a worker process)`);
  });

  it('grafts from inside a worker: ctx.addChildren reaches the admission room (§3, §11)', async () => {
    const dir = typesDir();
    writeType(
      dir,
      'grower.mjs',
      `export default { name: 'grower', async run(ctx) {
         const ids = await ctx.addChildren(ctx.parent, [{ title: 'grafted', type: 'noop' }]);
         const bad = await ctx.addChildren(ctx.parent, [{ title: 'x', type: 'nope' }]).catch((e) => e.message);
         return { result: { ids, bad } };
       } };`,
    );
    const agent = await makeAgent(makeStore(), { env: { JOBTREE_JOB_TYPES_DIRS: dir } });
    await loaded(agent, 'grower');
    const res = await runTree(agent.url, {
      job: { title: 'root', type: 'noop', children: [{ title: 'g', type: 'grower' }] },
    });
    expect(res.body.state).to.equal('SUCCESS');
    const kids = res.body.job.children as Array<{
      title: string;
      id: string;
      result?: { ids: string[]; bad: string };
    }>;
    expect(kids.map((k) => k.title).sort()).to.deep.equal(['g', 'grafted']);
    const g = kids.find((k) => k.title === 'g')!;
    expect(g.result!.ids).to.deep.equal([kids.find((k) => k.title === 'grafted')!.id]);
    expect(g.result!.bad).to.include('unknown job type "nope"');
  });

  it('checks params against the module schema at submission, writing nothing (§11)', async () => {
    const dir = typesDir('echo-pid.mjs');
    const store = makeStore();
    const agent = await makeAgent(store, { env: { JOBTREE_JOB_TYPES_DIRS: dir } });
    await loaded(agent, 'echo-pid');
    const res = await http(agent.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'r',
        type: 'noop',
        children: [{ title: 'say', type: 'echo-pid', params: { word: 3 } }],
      },
    });
    expect(res.status).to.equal(400);
    expect(res.body.error.path).to.equal('job.children[0].params.word');
    expect((await store.listTrees({ tags: [], limit: 10 })).trees).to.deep.equal([]);
    const unknown = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'r', type: 'no-such-type' },
    });
    expect(unknown.status).to.equal(400);
    expect(unknown.body.error).to.include({ code: 'UNKNOWN_TYPE', path: 'job.type' });
  });

  it('runs an executable type: params on stdin, JOBTREE_RESULT_FILE, output in the log (§11)', async () => {
    const dir = typesDir();
    writeType(
      dir,
      'greet.sh',
      [
        '#!/bin/sh',
        'params=$(cat)',
        'echo "job $JOBTREE_JOB_ID got $params"',
        'echo "to stderr" >&2',
        'printf \'{"said":%s}\' "$params" > "$JOBTREE_RESULT_FILE"',
      ].join('\n'),
      0o755,
    );
    writeType(dir, 'fail.sh', '#!/bin/sh\nexit 4\n', 0o755);
    const agent = await makeAgent(makeStore(), { env: { JOBTREE_JOB_TYPES_DIRS: dir } });
    await loaded(agent, 'greet');
    const res = await runTree(agent.url, {
      job: { title: 'g', type: 'greet', params: { to: 'you' } },
    });
    expect(res.body.job.state).to.equal('SUCCESS');
    expect(res.body.job.result).to.deep.equal({ said: { to: 'you' } });
    const log = await finalLog(agent.url, res.body.job.id);
    expect(log).to.match(new RegExp(`stdout job ${res.body.job.id} got \\{"to":"you"\\}`));
    expect(log).to.include('stderr to stderr');
    await loaded(agent, 'fail');
    const failed = await runTree(agent.url, { job: { title: 'f', type: 'fail' } });
    expect(failed.body.job.error).to.deep.equal({ code: 'EXIT', message: 'exit code 4' });
  });

  it('keeps a running job on its version while new jobs get the new one, then unloads it (§11)', async () => {
    const dir = typesDir();
    const gate = join(dir, 'gate-file'); // not a type: no extension, not executable
    const source = (v: number): string =>
      [
        "import { existsSync } from 'node:fs';",
        'export default { name: "deploy", async run(ctx) {',
        `  ctx.log('v${v} in ' + process.pid);`,
        `  while (${v} === 1 && !existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 20));`,
        `  return { result: { v: ${v}, pid: process.pid } };`,
        '} };',
      ].join('\n');
    writeType(dir, 'deploy.mjs', source(1));
    const agent = await makeAgent(makeStore(), { env: { JOBTREE_JOB_TYPES_DIRS: dir } });
    const v1 = await loaded(agent, 'deploy');
    const first = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'a', type: 'deploy' },
    });
    const a = first.body.root as string;
    const pid1 = Number(
      (
        await waitFor(async () => /v1 in (\d+)/.exec(await logOf(agent.url, a)), {
          what: 'v1 to run',
        })
      )[1],
    );
    writeType(dir, 'deploy.mjs', source(2));
    const v2 = await loaded(agent, 'deploy', v1);
    const second = await runTree(agent.url, { job: { title: 'b', type: 'deploy' } });
    expect(second.body.job.result.v).to.equal(2);
    expect(second.body.job.typeVersion).to.equal(v2);
    expect((await http(agent.url, 'GET', `/api/v1/jobs/${a}`)).body.state).to.equal('RUNNING');
    expect(isAlive(pid1)).to.equal(true);
    writeFileSync(gate, '');
    const done = await waitFor(async () => {
      const j = (await http(agent.url, 'GET', `/api/v1/jobs/${a}`)).body;
      return j.state === 'SUCCESS' ? j : undefined;
    });
    expect(done.result).to.deep.equal({ v: 1, pid: pid1 });
    expect(done.typeVersion).to.equal(v1);
    await waitFor(() => !isAlive(pid1), { what: 'the v1 worker to be unloaded' });
  });

  it('refuses a version that fails to load and keeps the one in use (§11)', async () => {
    const dir = typesDir('echo-pid.mjs');
    const store = makeStore();
    const agent = await makeAgent(store, { env: { JOBTREE_JOB_TYPES_DIRS: dir } });
    const good = await loaded(agent, 'echo-pid');
    writeType(dir, 'echo-pid.mjs', 'export default { name: "echo-pid", run( {');
    const info = await waitFor(
      async () => {
        const [node] = (await http(agent.url, 'GET', '/api/v1/nodes')).body.nodes;
        return node.typeVersions['echo-pid']?.error ? node.typeVersions['echo-pid'] : undefined;
      },
      { what: 'the load error to be published' },
    );
    expect(info.version).to.equal(good);
    expect(info.error).to.match(/SyntaxError|Unexpected/);
    const res = await runTree(agent.url, {
      job: { title: 's', type: 'echo-pid', params: { word: 'still' } },
    });
    expect(res.body.job.state).to.equal('SUCCESS');
    expect(res.body.job.typeVersion).to.equal(good);
    // a bad params schema is refused the same way
    writeType(
      dir,
      'echo-pid.mjs',
      'export default { name: "echo-pid", paramsSchema: { type: "nonsense" }, async run() {} };',
    );
    await waitFor(async () => {
      const [node] = (await http(agent.url, 'GET', '/api/v1/nodes')).body.nodes;
      return (
        /schema|type/i.test(node.typeVersions['echo-pid']?.error ?? '') &&
        node.typeVersions['echo-pid'].error !== info.error
      );
    });
    expect(agent.types.get('echo-pid')?.version).to.equal(good);
  });

  it('unloads a type whose file is removed: new submissions are refused (§11)', async () => {
    const dir = typesDir('echo-pid.mjs');
    const agent = await makeAgent(makeStore(), { env: { JOBTREE_JOB_TYPES_DIRS: dir } });
    await loaded(agent, 'echo-pid');
    rmSync(join(dir, 'echo-pid.mjs'));
    await waitFor(() => agent.types.get('echo-pid') === undefined, { what: 'unload' });
    const res = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 's', type: 'echo-pid', params: { word: 'x' } },
    });
    expect(res.body.error?.code).to.equal('UNKNOWN_TYPE');
  });

  it('prefers its own directory type to a registered one of the same name, and falls back to it (§11)', async () => {
    const dir = typesDir('echo-pid.mjs');
    const store = makeStore();
    const agent = await makeAgent(store, {
      env: { JOBTREE_JOB_TYPES_DIRS: dir, JOBTREE_HEARTBEAT_INTERVAL_MS: '100' },
    });
    await loaded(agent, 'echo-pid');
    const source =
      'export default { name: "echo-pid", async run() { return { summary: "registered" }; } };';
    await store.jobTypes.register('echo-pid', source, {
      sha256: sha256Of(source),
      at: 1,
      paramsSchema: { type: 'object' },
    });
    const sourceOf = () => agent.types.get('echo-pid')?.source;
    await waitFor(async () => (await store.listNodes(Date.now()))[0]?.typeVersions['echo-pid']);
    expect(sourceOf()).to.equal('dir');
    rmSync(join(dir, 'echo-pid.mjs'));
    await waitFor(() => sourceOf() === 'registered', {
      what: 'the registered version to take over',
    });
    writeType(dir, 'echo-pid.mjs', readFileSync(join(TYPES_FIXTURES, 'echo-pid.mjs'), 'utf8'));
    await waitFor(() => sourceOf() === 'dir', { what: 'the directory version to win again' });
    await store.jobTypes.remove('echo-pid');
    await waitFor(async () => (await store.jobTypes.revision()) > 0);
    const res = await runTree(agent.url, {
      job: { title: 's', type: 'echo-pid', params: { word: 'mine' } },
    });
    expect(res.body.job.result.word).to.equal('mine');
    expect(sourceOf()).to.equal('dir');
  });
});
