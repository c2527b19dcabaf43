/**
 * Failure handlers with real agents (SPEC §15): a deployment that fails at
 * "switch" undoes the steps that had succeeded, last first, each on the
 * node that ran it, then runs onFailure with the outcome in
 * JOBTREE_OUTCOME; the handlers still run when the node that took the
 * submission is dead; `jobtree abort --no-handlers` skips them.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Outcome, TreeSpec } from '../../src/shared/types.js';
import { runCli, spawnAgent, tempDir } from '../helpers/agents.js';
import { collectEvents } from '../helpers/events.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

/** A shell job that appends "<its node> <what>" to `file`: the order of lines is the order of runs. */
const record = (file: string, what: string) => ({
  type: 'shell',
  params: { command: `echo "$JOBTREE_NODE ${what}" >> ${file}` },
});

async function setup(nodes: string[]) {
  const prefix = `jt-${randomUUID()}`;
  const store = makeStore(testRedisUrl(), prefix);
  const events = await collectEvents(store);
  const agents = await Promise.all(
    nodes.map((node) => spawnAgent({ node, redisUrl: testRedisUrl(), prefix })),
  );
  return { store, events, agents, dir: tempDir() };
}

describe('e2e: failure handlers (§15)', function () {
  this.timeout(60000);

  it('undoes the succeeded steps last first on their nodes, then tells onFailure why', async () => {
    const { events, agents, dir } = await setup(['a', 'b']);
    const ran = join(dir, 'ran');
    const outcomeFile = join(dir, 'outcome.json');
    const spec: TreeSpec = {
      job: {
        title: 'switch the router',
        type: 'shell',
        node: 'a',
        params: { command: 'echo no route >&2; exit 3' },
        children: [
          {
            title: 'build',
            node: 'b',
            ...record(ran, 'build'),
            compensate: record(ran, 'undo build'),
            children: [
              {
                title: 'fetch',
                node: 'a',
                ...record(ran, 'fetch'),
                compensate: record(ran, 'undo fetch'),
              },
            ],
          },
        ],
      },
      onFailure: {
        title: 'post the error',
        type: 'shell',
        params: { command: `printf '%s' "$JOBTREE_OUTCOME" > ${outcomeFile}` },
      },
    };
    const { body } = await http(agents[0]!.url, 'POST', '/api/v1/trees', spec);
    const root = body.root as string;
    const hroot = (body.handlers as { root: string }).root;
    await events.until((e) => e.root === hroot && e.job === hroot && e.state === 'SUCCESS', 20000);
    expect(readFileSync(ran, 'utf8').trim().split('\n')).to.deep.equal([
      'a fetch',
      'b build',
      'b undo build',
      'a undo fetch',
    ]);
    const outcome = JSON.parse(readFileSync(outcomeFile, 'utf8')) as Outcome;
    expect(outcome).to.deep.equal({
      state: 'FAILED',
      failed: {
        job: root,
        title: 'switch the router',
        error: { code: 'EXIT', message: 'exit code 3' },
      },
    });
    const tree = await http(agents[1]!.url, 'GET', `/api/v1/trees/${root}`);
    expect(tree.body).to.deep.include({
      state: 'FAILED',
      handlers: { root: hroot, state: 'SUCCESS' },
    });
    const shown = await runCli(['--server', agents[1]!.url, 'show', root]);
    expect(shown.stdout).to.include(`handlers ${hroot} SUCCESS`);
    expect(shown.stdout).to.match(/├─ ✔ undo: build \[SUCCESS\] @b/);
    expect(shown.stdout).to.match(/├─ ✔ undo: fetch \[SUCCESS\] @a/);
    expect(shown.stdout).to.match(/└─ ✔ post the error \[SUCCESS\] @[ab]/);
    const handlers = await runCli(['--server', agents[1]!.url, 'show', hroot]);
    expect(handlers.stdout).to.include(`handles tree ${root} (FAILED: switch the router — EXIT`);
  });

  it('runs the handlers when the node that took the submission has died', async () => {
    const { store, events, agents, dir } = await setup(['front', 'worker']);
    const front = agents[0]!;
    const ran = join(dir, 'ran');
    const gate = join(dir, 'gate');
    const { body } = await http(front.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'switch',
        type: 'shell',
        node: 'worker',
        params: { command: `while [ ! -e ${gate} ]; do sleep 0.05; done; exit 1` },
        children: [
          { title: 'fetch', ...record(ran, 'fetch'), compensate: record(ran, 'undo fetch') },
        ],
      },
      onFailure: { title: 'notify', ...record(ran, 'notify') },
    } satisfies TreeSpec);
    const root = body.root as string;
    const hroot = (body.handlers as { root: string }).root;
    await events.until((e) => e.job === root && e.state === 'RUNNING');
    await front.kill9();
    writeFileSync(gate, '');
    await events.until((e) => e.root === hroot && e.job === hroot && e.state === 'SUCCESS', 20000);
    expect(readFileSync(ran, 'utf8').trim().split('\n')).to.deep.equal([
      'worker fetch',
      'worker undo fetch',
      'worker notify',
    ]);
    expect((await store.getTree(root)).handlers).to.deep.equal({ root: hroot, state: 'SUCCESS' });
  });

  it('skips the handlers of a tree aborted with --no-handlers', async () => {
    const { store, events, agents, dir } = await setup(['solo']);
    const ran = join(dir, 'ran');
    const { body } = await http(agents[0]!.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'long',
        type: 'sleep',
        params: { ms: 60000 },
        children: [{ title: 'step', ...record(ran, 'step'), compensate: record(ran, 'undo') }],
      },
      onFailure: { title: 'notify', ...record(ran, 'notify') },
    } satisfies TreeSpec);
    const root = body.root as string;
    await events.until((e) => e.job === root && e.state === 'RUNNING');
    const aborted = await runCli(['--server', agents[0]!.url, 'abort', '--no-handlers', root]);
    expect(aborted.stdout).to.include('without its failure handlers');
    await waitFor(async () => (await store.treeState(root))?.state === 'ABORTED', {
      what: 'the tree aborted',
    });
    const shown = await runCli(['--server', agents[0]!.url, 'show', root]);
    expect(shown.stdout).to.match(/handlers \S+ SKIPPED/);
    expect(readFileSync(ran, 'utf8').trim()).to.equal('solo step'); // nothing undone, nobody told
  });
});
